// Word lists for the address and location recognisers, written for this project from postal
// conventions (USPS street suffixes, European street words and endings, unit and box designators) and
// a gazetteer of countries and large cities. Stored accent-folded and lower-cased (fold_name.ts).

function wordsOf(block: string): Set<string> {
  return new Set(block.split(/\s+/).filter((w) => w.length > 0));
}

/** Street type words that follow the street name ("Clarke Avenue", "Main St"). */
export const STREET_SUFFIXES: ReadonlySet<string> = wordsOf(`
street st str road rd avenue ave av boulevard blvd lane ln drive dr court ct place pl square sq terrace
ter close crescent cres way parkway pkwy highway hwy circle cir trail trl path row gardens garden grove
mews hill hills park parks plaza alley aly bypass byp gateway union unions loop mall points point
extension extensions ext rapids rapid greens green forges forge turnpike tpke spur crossing xing junction
jct heights hts view views ridge ridges run pike port ports station sta valley vly village vlg ville vista
walk walks wall well wells wharf yard yards quay quays causeway cswy center centre ctr club common commons
corner corners course cove coves creek crest curve dale dam divide estate estates expressway expy falls
ferry field fields flat flats ford fords forest fork forks fort freeway fwy glen glens harbor harbour
haven heath hollow inlet island islands isle knoll knolls lake lakes landing light lights lock locks
lodge manor manors meadow meadows mill mills mission motorway mount mountain neck orchard oval overpass
passage pass pine pines plain plains prairie ramp ranch rest river route rte shoal shoals shore shores
skyway spring springs square squares stream summit throughway trace track trafficway tunnel underpass
viaduct broadway embankment parade promenade rise chase drove end fold gate grange green hey approach
`);

/** Street type words that come before the street name ("Via Roma", "Rue de Virton", "ul. Cicha"). */
export const STREET_PREFIXES: ReadonlySet<string> = wordsOf(`
via viale vicolo piazza piazzale corso strada largo contrada localita rua avenida av. travessa estrada
alameda praca largo calle avda avda. carrer carretera camino paseo plaza ronda avinguda rue avenue boulevard chemin
allee place quai impasse route cours passage ul. ul ulica al. aleja os. osiedle pl. plac nam. namesti
trida odos leoforos plateia jalan jl. soi thanon ulitsa prospekt pereulok naberezhnaya
`);

/** Separate street words that follow the name in other languages ("Kálmán Imre u.", "Luite tee"). */
export const STREET_WORDS_AFTER: ReadonlySet<string> = wordsOf(`
u. utca ut utja korut ter tee tanav mnt pst. pst str. strasse strase gasse weg allee platz ring damm
straat laan plein gracht kade singel dijk gata gatan vagen vag vej gade alle veien vegen gate vegur
braut stigur katu tie kuja polku tori vayla kaari rinne ranta terrasse terasse torg sokak sokagi caddesi
cad. bulvari odos
`);

/**
 * Endings of one-word street names ("Koskikatu", "Strickstrasse", "Søndergade", "Asselsestraat").
 * Checked only on a capitalised word followed by a house number.
 */
export const STREET_ENDINGS: readonly string[] = [
  'strasse',
  'straße',
  'str.',
  'gasse',
  'weg',
  'allee',
  'platz',
  'ring',
  'damm',
  'ufer',
  'steig',
  'pfad',
  'chaussee',
  'straat',
  'laan',
  'plein',
  'gracht',
  'kade',
  'singel',
  'dijk',
  'hove',
  'wei',
  'gatan',
  'gata',
  'vagen',
  'vägen',
  'gränd',
  'grand',
  'torget',
  'vej',
  'vejen',
  'gade',
  'veien',
  'vegen',
  'gate',
  'stræti',
  'straeti',
  'stig',
  'vegur',
  'braut',
  'katu',
  'tie',
  'kuja',
  'polku',
  'tori',
  'väylä',
  'vayla',
  'kaari',
  'rinne',
  'ranta',
  'tee',
  'tänav',
  'tanav',
  'utca',
  'sokak',
  'caddesi',
  'ulica',
  'ulice',
  'trida',
  'třída',
];

/** Secondary unit designators: "Apt. 5", "Suite 200". */
export const UNIT_WORDS: ReadonlySet<string> = wordsOf(`
apt apt. apartment suite ste ste. unit flat fl fl. floor room rm rm. bldg bldg. building dept dept.
`);

/** Country names (English and common native forms), including multi-word ones. */
export const COUNTRIES: readonly string[] = `
afghanistan|albania|algeria|andorra|angola|antigua and barbuda|argentina|armenia|australia|austria|
azerbaijan|bahamas|bahrain|bangladesh|barbados|belarus|belgium|belize|benin|bhutan|bolivia|
bosnia and herzegovina|bosnia|botswana|brazil|brunei|bulgaria|burkina faso|burundi|cambodia|cameroon|
canada|cape verde|central african republic|chad|chile|china|colombia|comoros|congo|costa rica|
cote d'ivoire|ivory coast|croatia|cuba|cyprus|czech republic|czechia|denmark|djibouti|dominica|
dominican republic|ecuador|egypt|el salvador|equatorial guinea|eritrea|estonia|eswatini|ethiopia|fiji|
finland|france|gabon|gambia|georgia|germany|ghana|greece|grenada|guatemala|guinea|guinea-bissau|guyana|
haiti|honduras|hungary|iceland|india|indonesia|iran|iraq|ireland|israel|italy|jamaica|japan|jordan|
kazakhstan|kenya|kiribati|kosovo|kuwait|kyrgyzstan|laos|latvia|lebanon|lesotho|liberia|libya|
liechtenstein|lithuania|luxembourg|madagascar|malawi|malaysia|maldives|mali|malta|marshall islands|
mauritania|mauritius|mexico|micronesia|moldova|monaco|mongolia|montenegro|morocco|mozambique|myanmar|
namibia|nauru|nepal|netherlands|the netherlands|holland|new zealand|nicaragua|niger|nigeria|north korea|
north macedonia|macedonia|norway|oman|pakistan|palau|palestine|panama|papua new guinea|paraguay|peru|
philippines|poland|portugal|qatar|romania|russia|russian federation|rwanda|saint lucia|samoa|san marino|
saudi arabia|senegal|serbia|seychelles|sierra leone|singapore|slovakia|slovenia|solomon islands|somalia|
south africa|south korea|korea|south sudan|spain|sri lanka|sudan|suriname|sweden|switzerland|syria|
taiwan|tajikistan|tanzania|thailand|timor-leste|togo|tonga|trinidad and tobago|tunisia|turkey|turkiye|
turkmenistan|tuvalu|uganda|ukraine|united arab emirates|united kingdom|great britain|britain|england|
scotland|wales|northern ireland|united states|united states of america|usa|u.s.a.|uk|uruguay|
uzbekistan|vanuatu|vatican city|venezuela|vietnam|viet nam|yemen|zambia|zimbabwe|greenland|faroe islands|
puerto rico|hong kong|macau|gibraltar|aland|deutschland|espana|italia|sverige|norge|danmark|suomi|
osterreich|schweiz|suisse|svizzera|polska|ceska republika|magyarorszag|hellas|ellada|kibris|eesti|
latvija|lietuva|hrvatska|slovenija|srbija|belgie|belgique|nederland|brasil|mexique|rossiya`
  .split('|')
  .map((c) => c.trim())
  .filter((c) => c.length > 0);

/** Capitals and large cities, as place evidence in residence and travel context. */
export const CITIES: readonly string[] = `
london|paris|berlin|madrid|rome|lisbon|dublin|amsterdam|brussels|vienna|bern|zurich|geneva|prague|warsaw|
budapest|bratislava|ljubljana|zagreb|belgrade|sarajevo|sofia|bucharest|athens|nicosia|valletta|
copenhagen|stockholm|oslo|helsinki|reykjavik|tallinn|riga|vilnius|kyiv|kiev|minsk|moscow|
saint petersburg|st petersburg|istanbul|ankara|new york|los angeles|chicago|houston|phoenix|philadelphia|
san antonio|san diego|dallas|san jose|austin|jacksonville|san francisco|seattle|denver|boston|detroit|
nashville|portland|las vegas|miami|atlanta|washington|baltimore|milwaukee|albuquerque|tucson|fresno|
sacramento|kansas city|omaha|raleigh|cleveland|minneapolis|new orleans|honolulu|anchorage|toronto|montreal|
vancouver|calgary|edmonton|ottawa|winnipeg|quebec|mexico city|guadalajara|monterrey|havana|bogota|lima|
quito|caracas|santiago|buenos aires|montevideo|asuncion|la paz|sao paulo|rio de janeiro|brasilia|
salvador|fortaleza|belo horizonte|manaus|curitiba|recife|porto alegre|tokyo|osaka|kyoto|yokohama|nagoya|
sapporo|fukuoka|kobe|seoul|busan|beijing|shanghai|guangzhou|shenzhen|chengdu|wuhan|hangzhou|nanjing|
tianjin|xian|hong kong|taipei|manila|jakarta|bangkok|hanoi|ho chi minh city|singapore|kuala lumpur|
mumbai|delhi|new delhi|bangalore|bengaluru|hyderabad|chennai|kolkata|pune|ahmedabad|karachi|lahore|
islamabad|dhaka|kathmandu|colombo|tehran|baghdad|riyadh|jeddah|dubai|abu dhabi|doha|kuwait city|muscat|
amman|beirut|damascus|jerusalem|tel aviv|cairo|alexandria|casablanca|rabat|tunis|algiers|tripoli|lagos|
abuja|accra|nairobi|addis ababa|kampala|dar es salaam|kinshasa|luanda|johannesburg|cape town|durban|
pretoria|harare|lusaka|sydney|melbourne|brisbane|perth|adelaide|canberra|auckland|wellington|
christchurch|hamburg|munich|cologne|frankfurt|stuttgart|dusseldorf|leipzig|dresden|hanover|nuremberg|
bremen|milan|naples|turin|palermo|genoa|bologna|florence|venice|verona|barcelona|valencia|seville|
zaragoza|malaga|bilbao|porto|marseille|lyon|toulouse|nantes|strasbourg|bordeaux|lille|rotterdam|
the hague|utrecht|eindhoven|antwerp|ghent|bruges|liege|charleroi|luxembourg|basel|lausanne|salzburg|
innsbruck|graz|linz|brno|ostrava|krakow|lodz|wroclaw|poznan|gdansk|szczecin|debrecen|szeged|cluj-napoca|
timisoara|iasi|plovdiv|varna|thessaloniki|patras|heraklion|limassol|larnaca|gothenburg|malmo|uppsala|
bergen|trondheim|stavanger|aarhus|odense|aalborg|espoo|tampere|vantaa|turku|oulu|tartu|daugavpils|
kaunas|klaipeda|manchester|birmingham|liverpool|leeds|glasgow|edinburgh|bristol|sheffield|cardiff|
belfast|newcastle|nottingham|leicester|southampton|cork|galway|limerick`
  .split('|')
  .map((c) => c.trim())
  .filter((c) => c.length > 0);
