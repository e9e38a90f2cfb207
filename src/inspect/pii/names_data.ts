// Compact name lists for the deterministic person recogniser, written for this project from general
// knowledge of common given names and surnames across the languages Carapace's operators write in
// (not extracted from any evaluation set). Stored accent-folded and lower-cased; see fold_name.ts.
// Precision trade-off: names that are also common English words or places are kept apart in
// AMBIGUOUS_GIVEN_NAMES and only count with supporting evidence (a surname, a title, a cue).

const ENGLISH = `
aaron abigail adam adrian aidan aiden alan albert alex alexa alexander alexandra alexis alfred alice alicia
alison allan allison alvin amanda amelia amy andrea andrew andy angela angelina anita ann anna anne annette
anthony antonio arthur ashley audrey austin barbara barry beatrice becky ben benjamin bernard beth bethany
betty beverly billy blake bobby bonnie brad bradley brandon brenda brendan brent brett brian bridget brittany
brooke bruce bryan caitlin caleb calvin cameron camila carl carla carlos carmen caroline carolyn casey
catherine cathy cecilia charles charlie charlotte chelsea cheryl chloe chris christina christine christopher
cindy claire clara clarence claudia clayton clifford clinton cody colin connor constance courtney craig
cynthia daisy damian daniel danielle darren david deborah debra denise dennis derek diana diane donald donna
doris dorothy douglas dylan edith edward edwin eileen elaine eleanor elijah elizabeth ella ellen eloise emily
emma eric erica erik erin ethan eugene evan evelyn felicity fiona florence frances francis frederick gabriel
gabriella gary gavin george georgia gerald geraldine gilbert gladys gordon graham gregory gwendolyn hailey
hannah harold harriet harry hayden heather helen henry herbert howard hugh ian irene isaac isabel isabella
isabelle jacob jacqueline jake james jamie jane janet janice jared jason jasmine jean jeffrey jennifer jenny
jeremy jerome jerry jesse jessica jillian joan joanna joanne joel john johnny jonathan jordan joseph joshua
joyce judith judy julia julian julie justin karen katherine kathleen kathryn katie keith kelly kenneth kevin
kimberly kristen kyle laura lauren lawrence leah leonard leslie lillian linda lindsay lisa logan lois lorraine
louis louise lucas lucy luke lydia madeline madison margaret maria marie marilyn marion martha martin mary
matthew megan melanie melissa michael michelle mildred mitchell molly monica morgan nancy naomi natalie
nathan nathaniel nicholas nicole noah norman olivia oscar owen pamela patricia patrick paul paula pauline
peggy penelope peter philip phillip phyllis priscilla rachel ralph randall randy rebecca regina richard
rita robert roberta robin rodney roger ronald rosalind russell ruth ryan samantha samuel sandra sara
sarah scott sean sharon shawn sheila shirley sidney simon sophia sophie stacy stanley stephanie stephen
steven stuart susan suzanne sylvia tamara tammy tanya taylor teresa terry theodore theresa thomas tiffany
timothy tina todd tony tracy travis trevor tyler valerie vanessa veronica victoria vincent virginia vivian
walter wanda wayne wendy wesley william willie yvonne zachary zoe
abby alana alfie alyssa annabel archie ariana arianna aubrey ava bailey bella bianca bradford brianna
bryce cassandra chad chase cole dakota dana darcy dean delilah destiny devin dominic dorian elliot
elliott emilia ernest esther ethel faith fletcher freddie gemma gideon glenn grayson gwen harvey
holly hunter imogen isla ivy jackson jaden jasper jayden jenna jessie joanne jodie jonah josie kaitlyn kayla
kaylee keira kendra kieran kirsten kurt lachlan lana landon layla lena leo leon levi liam lila lily lincoln
lola lorna lucille luna mabel mackenzie madelyn maisie marcus margot marissa marvin mason maxwell maya mia
miles milo mollie nadine neil nigel nina nora oliver ollie orla paige phoebe piper quentin quinn rhys
riley ronan rory rosie ross rowan sadie savannah sebastian seth shane shannon skylar spencer stella
stewart tara tessa theo toby tristan troy vera wade warren wyatt xavier zara
`;

const GERMANIC_DUTCH = `
andreas anja anke annika bernd birgit bettina claudia detlef dieter dirk elke erika ernst florian franz
friedrich gerd gerhard gisela gunter gunther hans hannelore harald heike heinz helga helmut hermann horst
ingrid jens joachim jorg jurgen karin karl katrin klaus kurt lukas manfred marco markus matthias monika
niklas norbert olaf otto rainer ralf reinhard renate rolf sabine sebastian siegfried silke stefan stefanie
susanne sven thorsten torsten ulrich ursula uwe volker werner wolfgang yannick felix finn jonas leonie
lena lars lea luisa maximilian moritz paul tobias ute wilhelm heinrich gunnar hannes jannik kai knut
aart anneke bram daan dirk-jan femke fenna gerrit hendrik henk jaap jan jeroen joost joris kees lieke
maarten marijke mark-jan niels pieter rik roel ruud sander sanne sem sjoerd thijs tijn wouter willem
anouk bas bastiaan evert geert hidde jelle kirsten koen lotte marloes mees noor robin
wietske ype
`;

const ROMANCE = `
adele adrien agathe alain alexandre amelie anais andre antoine arnaud aurelie baptiste benoit bernadette
brigitte camille cecile celine chantal christophe clement corinne damien delphine denis didier dominique
elodie emile emmanuel eric etienne fabien fabrice florian francois francoise frederic gaelle genevieve
georges gerard gilles guillaume helene herve hugues isabelle jacques jean-claude jean-luc jean-pierre jerome
joelle julien laetitia laurent lea loic lucie manon marcel marguerite mathieu maurice michel mireille
monique nathalie nicolas odile olivier pascal patrice philippe pierre remi renaud romain sandrine sebastien
serge solene stephane sylvie thibault thierry valerie vincent virginie xavier yann yves
adriana alberto alejandro alfonso alicia alvaro ana andres angel antonio beatriz carlos carmen carolina
catalina cesar claudia concepcion cristina daniela diego dolores eduardo elena emilio enrique esteban
eugenia federico felipe fernando francisco gabriela gonzalo guadalupe guillermo gustavo hector ignacio
ines isabel jaime javier jesus joaquin jorge jose josefa juan juana julio leticia lorena lourdes lucia
luis luisa manuel marcela marcos margarita mariana mario marisol marta martina mercedes miguel monica
nicolas noelia pablo paloma patricia pedro pilar rafael ramon raquel raul ricardo roberto rocio rodrigo
rosa rosario salvador santiago sergio silvia sofia teresa tomas valentina vicente victor ximena yolanda
anabela antonia beatriz bruna caio camila conceicao debora eduarda fabio fabiana fatima flavia gabriel
gilberto goncalo graca helena henrique joao joana leandro leonor luana lucas luciana marcio matheus
miguel murilo natalia otavio paulo priscila renata rogerio rui sandro sebastiao tiago vitor vitoria
alessandra alessandro alessio andrea angela angelo anna antonella antonio arianna aurora beatrice bruno
carla carlo caterina chiara claudio cristiano daniele davide domenico elena elisa emanuele enrico fabio
federica federico filippo francesca francesco gabriele gaetano giacomo gianluca gianni giorgia giorgio
giovanna giovanni giulia giuliana giulio giuseppe giuseppina ilaria leonardo lorenzo luca lucia luigi
manuela marco margherita marta massimo matteo maurizio michele monica nicola paola paolo pietro raffaele
riccardo roberta roberto rosa rosanna salvatore sara serena silvia simona simone stefania stefano teresa
tommaso valentina valerio vincenzo vittoria vittorio amedeo emiliano
`;

const NORDIC_FINNIC = `
anders anette anna-karin annika arne astrid benedikte birgitta bjorn bo britt camilla carina cecilia
christer dag elin elsa emil eva frida fredrik gunilla gustav hakan hanna hans hedda helena henrik ida ingrid
jakob jan-erik johan johanna jonas kajsa karin karl kerstin kristina lars lena linnea lisa magnus malin
marie mats mattias mikael nils oskar ola ole peter rasmus sara sigrid stefan stina sune svante tove
ulf ulla viktor vilhelm agnete allan anders asger birthe bodil carsten dorthe ejnar erling
esben finn flemming frederik grete gudrun helle henning inge jesper jorgen jytte kasper kirsten
kjeld klaus knud lasse lene lise mads michael mogens morten niels palle poul preben rikke sanne
soren steen susanne thor tine torben troels ulrik vibeke aksel bjarne eirik eivind espen geir gunhild
halvard havard ingeborg jarle kjell kjersti knut liv marit oddvar randi ragnhild runar sigurd solveig
stein terje tor torbjorn trond trygve turid vegard vidar ari arnar bjarki einar eirikur gudmundur gunnar
helgi hjalti kristjan olafur pall ragnar sigurdur snorri stefan thorsteinn unnur asdis bryndis
gudrun helga hildur ingibjorg kristin ragnheidur sigridur solveig thora vigdis aino aleksi antti eero
eija elina emilia esa heikki helmi hilkka ilkka irma jaana jari jarmo juha juhani jukka jussi kaarina kaija
kalle kari kimmo kirsi laura leena marja markku marko matti merja mika mikko minna niina olli paivi
pekka pentti petri pirjo raimo riitta risto sami sanna satu seppo sirpa tapio tarja teemu timo tuomas
tuula ville aado aivar andrus ants arvo eha ene heiki hillar indrek jaan kadri kaja kalev katrin kristjan
liina maarja madis mart meelis piret priit rein siim tiit toomas triin urmas
`;

const SLAVIC_BALTIC = `
agnieszka aleksander aleksandra alicja andrzej anna barbara beata bogdan bozena dariusz dorota edyta
elzbieta ewa grazyna grzegorz halina irena iwona jacek jadwiga jakub jan janina janusz jaroslaw jerzy
joanna jolanta jozef justyna kamil katarzyna krystyna krzysztof leszek lukasz maciej magdalena malgorzata
marcin marek mariusz marta mateusz michal miroslaw monika pawel piotr przemyslaw rafal renata robert
roman ryszard slawomir stanislaw stefan tadeusz tomasz urszula wieslaw witold wladyslaw wojciech zbigniew
zofia adela alena alois alzbeta antonin bohumil bozena dagmar daniela eliska emil frantisek hana helena
ivana jana jarmila jaroslav jindrich jiri josef kamila karel katerina klara ladislav lenka libor lucie
ludmila lubomir marketa martina milan miloslav miroslav monika nikola oldrich ondrej pavel pavla petr
petra radek radka renata roman simona stanislav stepan tereza tomas vaclav vera veronika vit
vladimir vlasta vojtech zdenek zdenka zuzana andrej branislav dusan juraj lubica lubos lucia marian
matus maros miroslava peter stefan zuzka aleksandr aleksei alexei alla anastasia anatoly andrei anton
arkady artem boris daria denis dmitri dmitry egor ekaterina elena evgeny fyodor galina gennady georgy
grigory igor ilya inna irina ivan kirill konstantin ksenia larisa leonid lyudmila maksim margarita maria
marina mikhail nadezhda natalia nikita nikolai oksana oleg olga pavel polina roman ruslan sergei sergey
stanislav svetlana tatiana timur vadim valentina valery vasily vera viktor vitaly vladimir vladislav
yaroslav yekaterina yelena yevgeny yulia yuri zoya bogdana bohdan mykola mykhailo oleksandr oleksii
olena petro taras vasyl volodymyr yaroslava aleksandar ana biljana bojan branko darko dejan dragan dusan
goran gordana ivica jasmina jelena jovan ljiljana marija marko milan milena milica milos miroslav mladen
natasa nebojsa nenad nikola predrag ranko sasa slobodan snezana srdan stojan tanja vesna vladimir
vlado zoran zeljko anto damir davor drazen hrvoje ivo josip kresimir mario mirko stjepan tomislav
vedran zvonimir aleksej anze blaz bostjan grega janez joze jure klemen matej matjaz miha mitja nejc primoz
rok spela tina urska ziga borislav dimitar georgi hristo ivanka krasimir lyubomir nikolay petar stoyan
tsvetan valentin vasil yordan zhivko algirdas arunas darius gintaras jonas kestutis mindaugas rasa ruta
saulius tomas vytautas andris janis juris karlis maris peteris raimonds valdis ilze inese kristine
ludmila zinaida samir velimir zlatan emir adnan
amra azra edin elvir haris jasmin kemal mirza nermin senad
`;

const HUNGARIAN_GREEK_TURKISH = `
agnes akos andras aniko anita attila balazs barbara bela bence csaba csilla dora edit endre erika
erzsebet eszter ferenc gabor gabriella gergely gyorgy gyula ildiko imre istvan janos jozsef judit julia
katalin kinga krisztian krisztina laszlo levente lili marton mihaly miklos monika nora orsolya peter
piroska reka robert sandor szabolcs tamas tibor viktoria zoltan zsofia zsolt zsuzsanna
aggeliki alexandros anastasios andreas angeliki antonios
apostolos athanasios christos dimitra dimitrios eleni evangelia georgios ioanna ioannis konstantinos
kostas maria michalis nikolaos panagiotis paraskevi sofia spyros stavros theodoros vasileios vasiliki
yiannis zoe ahmet ali ayse aysel burak cem deniz ebru elif emine emre esra fatma gul hakan hasan
huseyin ibrahim kemal leyla mehmet melek meryem murat mustafa nur omer ozan ozge selin serkan sevgi
tolga ugur yasemin yusuf zeynep
`;

const ASIAN_MIDEAST_AFRICAN = `
abdul abdullah ahmad ahmed aisha ali amal amina amir amira anwar ayman aziz bilal fadi farah farid fatima
hadi hamza hana hassan hussein ibrahim imran jamal jamila karim khalid laila layla leila mahmoud malik
mariam maryam mohamed mohammad mohammed mona mustafa nabil nadia nasser nour omar rami rana rashid reem
saeed salim salma sami samira sara tariq walid yasmin yousef youssef zainab zaid ziad ariel avi dalia
eitan eli ephraim gila ilan itai lior meir moshe noa rivka ronit shira shlomo tal yael yosef yonatan
ali-reza arash babak dariush farhad farzaneh hamid mahnaz mehdi mina nasrin parisa reza shirin aarav
aditya akash amit anand anil anjali arjun arun asha deepak divya ganesh gaurav geeta gita harish
jyoti kavita kiran krishna lakshmi manish meena mohan neha nikhil pooja prakash pradeep priya rahul raj
rajesh rakesh ramesh ravi rohit sachin sanjay santosh shreya sita sneha sunil sunita suresh swati vijay
vikram vinod yash akira akiko ayaka ayumi chiaki daichi daisuke emi eri haruka haruki hideki
hikari hiroshi hiroko hiroto hitomi kaito kana kaori kazuki kazuo kei keiko ken kenji kenta koji kumiko
mai makoto mami masahiro masaki masao mayumi megumi miki minoru misaki miyu naoki naomi natsuki noriko
osamu ren riku rin ryo ryota sakura satoshi sayaka shota sora takahiro takashi takeshi takumi taro
tetsuya tomoko toshiro tsubasa yoko yosuke yuki yuko yumi yusuke yuta yuto bao chen
chun feng hao hua hui jian jie jing jun lei li lian lin ling mei ming ning qiang
qing rong shan tao wei wen xia xiao xin xiu yan yang ying yong yu yue yun zhen zhi bo-ra chae-won
da-eun do-yun eun-ji ha-eun hye-jin ji-hoon ji-min ji-woo jun-ho min-jun min-seo seo-yeon seung-hyun
soo-jin sung-min yeon-woo anh binh cuong duc hanh hieu hoa huong khanh linh mai minh
nam ngoc phuong quang thanh thao trang tuan tuyet van viet abebe ade adebayo ama amara chidi chinedu
chioma femi folake ifeoma kofi kwame kwesi lerato musa nia nkosi obi olu sipho tendai themba thabo
uche zanele zola
`;

/** A second batch of European given names from the same general knowledge. */
const EUROPEAN_MORE = `
abdiel adalberto adeline adina adolfo agatha agustin aileen aisling alaina alba albin aldo aleksandra alena alessia
alfonso alina alistair aliyah alma alois alonso alva alvar amalia amanda ambrose amelie amos anastasia anders
andrea angelika anika anneli annette anouk anselm antje antonia anya ariane arlo armando arnold arvid aster
augustin aurelia aurelio axel ayla azra bartholomew basil beatrix benedict bernhard bertil birgit bjorg blanca bodhi
bogdan bonifac borja brenna brigid bronwyn caio calla candice carina carmela carolina casimir cassius cecil cedric
celeste celestine cesare charlene chiara christa christel cillian clemens clementine colette conrad constantin cora corinna cosmin
cristian cyril cyrus dagmar dalia damiano danuta darina dario dariusz dave davina declan delia demetrius desmond
detlev dimitra dinah dirk domenica dominika donatella dorothea dragana duarte dunja edda edgar edoardo eduard egil
eleanora elena eliana elif elise ellen elma elodie elsa elvira emeric emilio emine emmerich enzo ephraim
erasmus eric erna ernesto esme esteban estelle ethel eugenia evander evelina ewa fabian fabienne faisal fanny
farida federica felicia ferdinand fernanda filip filippa fiona flavio florentina florin franca francesca franziska frida fridtjof
friedrich gabriele gaia gaspar gemma genoveva georgina gerda germaine gertrud gianna gilda gina giovanni gisela giulia
gloria goran greta gretchen griselda gudrun gunilla gustavo gwendolyn hadrian hakon hamish hannelore harald harriet heidi
helena helmut henrietta henrik herta hilda hildegard hinrich hugo ignacio igor ilaria ilona imke ines ingeborg
ingmar ingrid irena irmgard isadora isidor ismael ivana ivo jacinta jakob janek janina jaroslav jasper javier
jelena jeremias joachim joana joaquim jocelyn jonatan jordi josefine josephine jovana judit julius juna justus kaja
karina karl karolina kasimir katarina katharina kerstin kieran kilian kira klara klaus konrad kornelia krisztina kurt
ladislav lambert laurentiu laurenz lavinia leander leila lena leonie leopold liesel lina linnea livia lorena lorenzo
lotte louisa lucia luciano ludmila ludovica ludwig luisa lucjan lydia madeleine magdalena magnus malin marek margit
mariana marianne marina marius marlene martha martina maximilian melina merle micaela milan milena mira miriam mirko
moritz natalia natascha nadja nele nicola nicolai niklas nikola nils noemi norbert octavia odette olaf olga
oliwia ottilie pablo patricia petra philomena pietro quentin radek rafael raffaela raimund ramona raphael rebekka reinhold
renata rene ricarda roberta rodrigo roland romana ronja rosa rosalie rosemarie rudolf ruth sabina sabrina salvatore
sandra sanna saskia sebastian serena severin sibylle sigrid silvia simona sofia sonja stanislav susanna svea sybille
tabea tamara tatjana thea theresa tilda timo tobias tomas ulrike ursula valentin valeria vera veronika viktor
viola vivienne walburga waltraud wanda wiebke wilhelmina wolfram xenia yara yvette zita zofia zoran
`;

/** Given names that are also ordinary English words, places or months: evidence only with support. */
const AMBIGUOUS = `
april august autumn bill bob buck bud carol chance chase cliff dale dawn dean destiny dick don drew
earl ernest faith frank gene gerry glen grace grant guy hank hope iris ivy jack jade jay jewel joy june
kay king lane lee lily mark marsh may max mercy miles misty nick norm pat pearl penny pierce ray reed rich
rob rod rose rocky rusty sandy sky star stone summer sunny tom van victor violet wade will winter young
angel baker christian crystal earnest heath hunter jordan joy justice lincoln marshall mason parker
porter raven river rowan sage savannah sierra spencer sterling tanner tucker victoria virginia wells
paris florence sydney adelaide austin dallas houston phoenix denver regina beverly charlotte eugene
alexandria chad georgia israel china india can per odd till ante shin poppy ruby hazel eden amber
`;

/** Frequent surnames, as a second piece of evidence next to a given name or a title. */
const SURNAMES = `
smith johnson williams brown jones miller davis garcia rodriguez wilson martinez anderson taylor thomas
hernandez moore martin jackson thompson white lopez lee gonzalez harris clark lewis robinson walker perez
hall young allen sanchez wright king scott green baker adams nelson hill ramirez campbell mitchell roberts
carter phillips evans turner torres parker collins edwards stewart flores morris nguyen murphy rivera cook
rogers morgan peterson cooper reed bailey bell gomez kelly howard ward cox diaz richardson wood watson
brooks bennett gray james reyes cruz hughes price myers long foster sanders ross morales powell sullivan
russell ortiz jenkins gutierrez perry butler barnes fisher henderson coleman simmons patterson jordan
reynolds hamilton graham kim gonzales alexander ramos wallace griffin west cole hayes chavez gibson bryant
ellis stevens murray ford marshall owens mcdonald harrison ruiz kennedy wells alvarez woods mendoza
castillo olson webb washington tucker freeman burns henry vasquez snyder simpson crawford jimenez porter
mason shaw gordon wagner hunter romero hicks dixon hunt palmer robertson black holmes stone meyer boyd
mills warren fox rose rice moreno schmidt patel ferguson nichols herrera medina ryan fernandez weaver
daniels stephens gardner payne kelley dunn pierce arnold tran spencer peters hawkins grant hansen castro
hoffman hart elliott cunningham knight bradley carroll hudson duncan armstrong berry andrews johnston
lane riley carpenter perkins aguilar silva richards willis matthews chapman lawrence garza vargas watkins
wheeler larson carlson harper george greene burke guzman morrison munoz jacobs obrien lawson franklin
lynch bishop carr salazar austin mendez gilbert jensen williamson montgomery harvey oliver howell dean
hanson weber garrett sims burton fuller soto mccoy welch chen schultz walters reid fields walsh little
fowler bowman davidson may day schneider newman brewer lucas holland wong banks santos curtis pearson
delgado valdez pena rios douglas sandoval barrett hopkins keller guerrero stanley bates alvarado beck
ortega wade estrada contreras barnett caldwell santiago lambert powers chambers nunez craig leonard lowe
rhodes byrd gregory shelton frazier becker maldonado fleming vega sutton cohen jennings parks mcdaniel
watts barker norris vaughn vazquez holt schwartz steele benson neal dominguez horton terry wolfe hale
lyons graves haynes miles park warner padilla bush thornton mccarthy mann zimmerman erickson fletcher
mckinney page dawson joseph marquez reeves klein espinoza baldwin moran love robbins higgins ball cortez
le griffith bowen sharp cummings ramsey hardy swanson barber acosta luna chandler blair daniel cross
simon dennis oconnor quinn gross navarro moss fitzgerald doyle mclaughlin rojas rodgers stevenson singh
yang figueroa harmon newton paul manning garner mcgee reese francis burgess adkins goodman curry brady
christensen potter walton goodwin mullins molina webster fischer campos avila sherman todd chang blake
malone wolf hodges juarez gill farmer hines gallagher duran hubbard cannon miranda wang saunders tate
mack hammond carrillo townsend wise ingram barton mejia ayala schroeder hampton rowe parsons frank waters
strickland osborne maxwell chan deleon norman harrington casey patton logan bowers mueller glover floyd
hartman buchanan cobb french kramer mccormick clarke tyler gibbs moody conner sparks mcguire leon bauer
norton pope flynn hogan robles salinas yates lindsey lloyd marsh mcbride owen solis pham lang pratt lara
brock ballard trujillo shaffer drake roman aguirre morton stokes lamb pacheco patrick cochran shepherd
cain burnett hess cabrera frederick hebert sweeney dalton wilkins jacobson
muller schmitt schulz hoffmann koch richter klein wolf schroder neumann schwarz zimmermann braun kruger
hofmann hartmann lange werner krause meier lehmann schmid schulze maier kohler herrmann konig walter
mayer huber kaiser fuchs peters lang scholz moller weiss jung hahn schubert vogel friedrich keller gunther
frank berger winkler roth beck lorenz baumann franke albrecht schuster simon ludwig bohm winter kraus
schumacher kramer vogt stein jager otto sommer gross seidel heinrich brandt haas schreiber graf dietrich
ziegler kuhn kuhl pohl engel horn busch bergmann thomas voigt sauer arnold wolff pfeiffer
bernard dubois durand leroy moreau laurent lefebvre michel fournier morel girard andre lefevre mercier
dupont bonnet francois legrand garnier faure rousseau blanc guerin muller henry roussel nicolas perrin
morin mathieu clement gauthier dumont lopez fontaine chevalier robin masson sanchez gerard nguyen boyer
denis lemaire duval joly gautier roger roche roy noel meyer lucas meunier jean perez marchand dufour
blanchard marie barbier brun dumas brunet schmitt leroux colin fernandez renaud arnaud rolland caron
giraud leclerc vidal bourgeois renard lemoine picard gaillard philippe leclercq lacroix fabre dupuis
olivier rodriguez da silva hubert louis charles guillot riviere le gall guillaume adam rey moulin
gonzalez berger lecomte menard fleury deschamps carpentier julien benoit paris maillard marchal aubert
vincent rossi russo ferrari esposito bianchi romano colombo ricci marino greco bruno gallo conti de luca
costa giordano mancini rizzo lombardi moretti barbieri fontana santoro mariani rinaldi caruso ferrara
galli martini longo gentile martinelli vitale lombardo serra coppola de santis d'angelo marchetti
parisi villa conte ferraro ferri fabbri bianco marini grasso valentini messina sala de angelis gatti
pellegrini palumbo sanna farina rizzi monti cattaneo morelli amato silvestri mazza testa grassi
pellegrino carbone giuliani benedetti barone rossetti caputo montanari guerra palmieri bernardi martino
fiore de rosa ferretti bellini basile riva donati piras vitali battaglia sartori neri costantini milani
pagano ruggiero sorrentino d'amico orlando damico negri mazzi
garcia fernandez gonzalez rodriguez lopez martinez sanchez perez gomez martin jimenez ruiz hernandez diaz
moreno munoz alvarez romero alonso gutierrez navarro torres dominguez vazquez ramos gil ramirez serrano
blanco molina morales suarez ortega delgado castro ortiz rubio marin sanz nunez iglesias medina garrido
cortes castillo santos lozano guerrero cano prieto mendez cruz calvo gallego herrera marquez leon vidal
pena flores cabrera campos vega fuentes carrasco diez reyes caballero nieto aguilar pascual santana
herrero montero lorenzo hidalgo gimenez ibanez ferrer duran santiago benitez vargas mora vicente arias
carmona crespo roman pastor soto saez velasco moya soler parra esteban bravo gallardo rojas silva santos
ferreira pereira oliveira costa rodrigues martins jesus sousa fernandes goncalves gomes lopes marques
alves almeida ribeiro pinto carvalho teixeira moreira correia mendes nunes soares vieira monteiro
cardoso rocha raposo neves coelho cruz cunha pires ramos reis simoes antunes matos fonseca machado araujo
barros freitas azevedo barbosa castro lima melo
jong jansen vries berg dijk bakker janssen visser smit meijer boer mulder groot bos vos hendriks
leeuwen dekker brouwer wit dijkstra smits graaf meer linden kok jacobs haan vermeulen heuvel veen broek
bruijn bruin heijden schouten beek willems vliet ven hoekstra maas verhoeven koster prins blom huisman
peeters maes claes goossens wouters dubois lambert dupont martens leclercq
nowak kowalski wisniewski wojcik kowalczyk kaminski lewandowski zielinski szymanski wozniak dabrowski
kozlowski jankowski mazur wojciechowski kwiatkowski krawczyk kaczmarek piotrowski grabowski zajac pawlowski
michalski krol wieczorek jablonski wrobel nowakowski majewski olszewski stepien malinowski jaworski
adamczyk dudek nowicki pawlak gorski witkowski walczak sikora baran rutkowski michalak szewczyk ostrowski
tomaszewski pietrzak zalewski wroblewski
novak svoboda novotny dvorak cerny prochazka kucera vesely horak nemec marek pospisil pokorny hajek
kral jelinek ruzicka benes fiala sedlacek dolezal zeman kolar navratil cermak urban vanek blazek kriz
kovar kratochvil bartos vlcek polak kopecky musil konecny malek stastny cech holub
nagy kovacs toth szabo horvath varga kiss molnar nemeth farkas balogh papp takacs juhasz lakatos meszaros
olah simon racz fekete szilagyi torok feher balazs gal kis szucs kocsis orsos pinter fodor szalai sipos
magyar lukacs gulyas biro kiraly katona laszlo jakab bogdan balog sandor boros fazekas kelemen antal
korhonen virtanen makinen nieminen makela hamalainen laine heikkinen koskinen jarvinen lehtonen
lehtinen saarinen salminen heinonen niemi heikkila kinnunen salonen turunen salo laitinen tuominen
rantanen karjalainen jokinen mattila savolainen lahtinen ahonen
ivanov smirnov kuznetsov popov vasiliev petrov sokolov mikhailov novikov fedorov morozov volkov alekseev
lebedev semenov egorov pavlov kozlov stepanov nikolaev orlov andreev makarov nikitin zakharov zaitsev
solovyov borisov yakovlev grigoriev romanov vorobyov sergeev kuzmin frolov alexandrov dmitriev korolev
gusev kiselev ilyin maksimov polyakov sorokin vinogradov kovalev belov medvedev antonov tarasov zhukov
baranov filippov komarov davydov belyaev gerasimov bogdanov osipov sidorov matveev titov marchenko
shevchenko bondarenko kovalenko boyko tkachenko kravchenko kovalchuk oliynyk shevchuk polishchuk
tanaka suzuki takahashi watanabe ito yamamoto nakamura kobayashi kato yoshida yamada sasaki yamaguchi
matsumoto inoue kimura hayashi shimizu yamazaki mori abe ikeda hashimoto yamashita ishikawa nakajima
maeda fujita ogawa goto okada hasegawa murakami kondo ishii saito sakamoto endo aoki fujii nishimura
fukuda ota miura fujiwara okamoto matsuda nakagawa nakano harada ono tamura takeuchi kaneko wada
nakayama ishida ueda morita hara shibata sakai kudo yokoyama miyazaki miyamoto uchida takagi ando
taniguchi ohno maruyama imai takada fujimoto takeda murata ueno sugiyama masuda sugawara hirano kojima
otsuka chiba kubo matsui iwasaki sakurai kinoshita noguchi matsuo nomura kikuchi sano onishi sugimoto
arai
wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he lin gao luo zheng liang xie song
tang han feng deng cao peng zeng xiao tian dong pan yuan cai jiang yu du ye cheng wei su lu ding ren
shen yao jin kang nguyen tran le pham hoang phan vu dang bui do ho ngo duong ly
kumar singh sharma patel gupta khan ali ahmed hussain rahman reddy rao iyer nair menon pillai joshi
mehta shah desai jain agarwal chopra kapoor malhotra bhatia banerjee chatterjee mukherjee das bose sen
ghosh dutta chowdhury choudhury verma yadav mishra pandey tiwari dubey chauhan thakur saxena srivastava
mohammed hassan hussein ibrahim mahmoud abdullah yilmaz kaya demir sahin celik yildiz yildirim ozturk
aydin ozdemir arslan dogan kilic aslan cetin kara koc kurt ozkan simsek papadopoulos papadakis
georgiou nikolaou konstantinou dimitriou ioannou
`;

/** Surname endings that mark a capitalised word as a family name in its language. */
export const SURNAME_SUFFIXES: readonly string[] = [
  'sson',
  'sen',
  'dottir',
  'dóttir',
  'poulos',
  'opoulos',
  'akis',
  'idis',
  'iadis',
  'oglu',
  'oğlu',
  'escu',
  'enko',
  'chuk',
  'czuk',
  'czyk',
  'wicz',
  'owicz',
  'ewicz',
  'owski',
  'ewski',
  'inski',
  'yński',
  'ński',
  'ski',
  'ska',
  'cki',
  'cka',
  'dzki',
  'ová',
  'ova',
  'eva',
  'ov',
  'ev',
  'ovich',
  'evich',
  'ović',
  'ević',
  'vić',
  'ić',
  'ič',
  'ishvili',
  'dze',
  'yan',
  'stein',
  'mann',
  'baum',
  'feld',
  'berger',
  'inen',
  'ainen',
  'äinen',
  'nen',
  'ez',
  'ini',
  'elli',
  'etti',
  'otti',
  'ucci',
  'acci',
];

function wordsOf(...blocks: string[]): Set<string> {
  const set = new Set<string>();
  for (const block of blocks) for (const w of block.split(/\s+/)) if (w.length > 0) set.add(w);
  return set;
}

/** Accent-folded, lower-cased given names that count as evidence on their own. */
export const GIVEN_NAMES: ReadonlySet<string> = (() => {
  const all = wordsOf(
    ENGLISH,
    GERMANIC_DUTCH,
    ROMANCE,
    NORDIC_FINNIC,
    SLAVIC_BALTIC,
    HUNGARIAN_GREEK_TURKISH,
    ASIAN_MIDEAST_AFRICAN,
    EUROPEAN_MORE,
  );
  for (const w of wordsOf(AMBIGUOUS)) all.delete(w);
  return all;
})();

/** Given names that are also common words or places: evidence only with support. */
export const AMBIGUOUS_GIVEN_NAMES: ReadonlySet<string> = wordsOf(AMBIGUOUS);

/** Accent-folded, lower-cased frequent surnames (multi-word ones by their last word). */
export const SURNAMES_SET: ReadonlySet<string> = (() => {
  const set = new Set<string>();
  for (const w of SURNAMES.split(/\s+/)) {
    if (w.length === 0) continue;
    set.add(w.replace(/^d'/, ''));
  }
  return set;
})();
