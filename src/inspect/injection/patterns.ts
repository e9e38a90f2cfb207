// The attack classes the detector knows, as patterns over folded text. Each pattern is one class of
// instruction that has no business inside data (an override, a claimed role, a task handed to the reading
// assistant, an exfiltration route), with a weight saying how strongly it alone means injection.
// Weights were set on the training material named in docs/evaluation.md, never on test strings.
//
// Each pattern is tried only where one of its anchor words occurs (scan.ts finds them all in one pass),
// as a sticky regex starting at that word; context before the word is a bounded lookbehind. Every gap
// is bounded and no quantifier is nested inside another unbounded one, so one attempt costs a bounded
// number of steps and a scan is linear in the text (ReDoS-safe).

export type SignalCategory =
  'injection' | 'role_impersonation' | 'obfuscation' | 'exfiltration' | 'malicious_code';

export interface Pattern {
  kind: string;
  category: SignalCategory;
  /** How strongly one match means injection, in (0, 1]. */
  weight: number;
  /** Lower-case words at which the pattern may start (the first word of each lead phrase). */
  anchors: readonly string[];
  /** Sticky and case-insensitive: it must match starting at the anchor. */
  regex: RegExp;
  /** A check the regex cannot express cheaply (sentence position, exclusions); false drops the match. */
  accept?: (text: string, start: number, end: number) => boolean;
  /** The lookbehind context as a regex anchored at the end, to widen the reported span over it. */
  prefix?: RegExp;
  /** A character the match must contain within `within` characters of its start: checked first, cheaply. */
  needs?: { char: string; within: number };
}

/** Two patterns close together: `first`, then `then` starting at most `within` characters after it ends. */
export interface NearPattern {
  kind: string;
  category: SignalCategory;
  weight: number;
  first: { anchors: readonly string[]; regex: RegExp };
  then: { anchors: readonly string[]; regex: RegExp };
  within: number;
}

/** "a|b c|d" → ["a", "b c", "d"]: word lists written compactly. */
const list = (words: string): readonly string[] => words.split('|');
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** A regex alternation of phrases: spaces match any run of spaces, a hyphen an optional hyphen. */
const alt = (phrases: readonly string[]) =>
  `(?:${[...phrases]
    .sort((a, b) => b.length - a.length)
    .map((p) => escape(p).replace(/ /g, '[\\s_]+').replace(/-/g, '-?'))
    .join('|')})`;
const anchorOf = (phrase: string) => phrase.toLowerCase().match(/[a-z0-9]+/)![0];
/**
 * Word boundaries that treat an underscore as a separator ("External_Ignore previous..." starts a word
 * at "Ignore"), used where a lookbehind or a lead starts: `\b` would see one long word.
 */
const START = '(?<![a-z0-9])';
const END = '(?![a-z0-9])';
const bounded = (before: string) => (before.startsWith('\\b') ? START + before.slice(2) : before);

interface Spec {
  needs?: Pattern['needs'];
  kind: string;
  category: SignalCategory;
  weight: number;
  /** The phrases the match starts with (their first words are the anchors). */
  lead: readonly string[];
  /** What must follow the lead phrase. */
  rest?: string;
  /** What must precede the lead phrase (a bounded lookbehind). */
  before?: string;
  accept?: Pattern['accept'];
}

function pattern(spec: Spec): Pattern {
  const source = `${spec.before ? `(?<=${bounded(spec.before)})` : ''}${alt(spec.lead)}${spec.rest ?? END}`;
  const p: Pattern = {
    kind: spec.kind,
    category: spec.category,
    weight: spec.weight,
    anchors: [...new Set(spec.lead.map(anchorOf))],
    regex: new RegExp(source, 'iy'),
  };
  if (spec.accept) p.accept = spec.accept;
  if (spec.before) p.prefix = new RegExp(`(?:${spec.before})$`, 'i');
  if (spec.needs) p.needs = spec.needs;
  return p;
}

function near(
  kind: string,
  category: SignalCategory,
  weight: number,
  first: { lead: readonly string[]; rest?: string; before?: string },
  then: { lead: readonly string[]; rest?: string; before?: string },
  within: number,
): NearPattern {
  const part = (s: { lead: readonly string[]; rest?: string; before?: string }) => ({
    anchors: [...new Set(s.lead.map(anchorOf))],
    regex: new RegExp(`${s.before ? `(?<=${bounded(s.before)})` : ''}${alt(s.lead)}${s.rest ?? END}`, 'iy'),
  });
  return { kind, category, weight, first: part(first), then: part(then), within };
}

// ── Shared vocabulary ────────────────────────────────────────────────────────────────────────────
/** Non-word characters between two words (not a newline); disjoint from WORD, so no ambiguity. */
const SEP = String.raw`[^a-z0-9\n]{1,4}`;
const WORD = String.raw`[a-z0-9]{1,24}`;
/** Up to n words in between, then a separator. */
const gap = (n: number) => `(?:${SEP}${WORD}){0,${n}}?${SEP}`;

const AGENT_NOUNS = list(
  'ai|a.i.|assistant|ai assistant|ai agent|llm|large language model|language model|chatbot|gpt|chatgpt|claude|gemini|copilot|bard|autonomous agent|ops agent|ai model|ai system',
);
const AGENT = alt(AGENT_NOUNS);
/** As leads: without "a.i.", whose anchor would be the article "a". */
const AGENT_LEADS = AGENT_NOUNS.filter((n) => n !== 'a.i.');
const RESPONSE = String.raw`(?:responses?|answers?|repl(?:y|ies)|outputs?|completions?|summar(?:y|ies)|translations?)`;
const INSTRUCTIONS = String.raw`(?:instructions?|directions?|directives?|prompts?|guidelines?|guidance|orders|commands|rules|constraints|programming|system\s+prompt|restrictions|policies)`;
const EARLIER = String.raw`(?:previous|prior|preceding|above|earlier|former|original|initial|old|existing|all|any|every|your|the|these|those|current|system|operator|developer|user)`;
const EMAIL = String.raw`[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,6}`;
const URL = String.raw`(?:https?://|www\.)[^\s"'<>)\]]{1,300}`;
const IBAN = String.raw`[A-Z]{2}\d{2}[A-Z0-9]{10,30}\b`;
const DESTINATION = String.raw`(?:${EMAIL}|${URL}|${IBAN}|@[\w.-]{2,40}|(?:this|the following|my|our|an?|the)\s+(?:external\s+)?(?:e-?mail|address|url|server|endpoint|webhook|website|site|link|account|channel))`;
const SENSITIVE = String.raw`(?:passwords?|passcodes?|credentials?|secrets?|api[ _-]?keys?|keys?|tokens?|ssh|private key|security codes?|2fa|otp|one[- ]time (?:code|password)|verification codes?|conversations?|chat (?:history|log)|history|messages|e-?mails|inbox|contacts|files|documents|data|contents|everything|logs|balance|transactions|account (?:numbers?|details|info(?:rmation)?)|card (?:numbers?|details)|ssn|social security|personal (?:data|info(?:rmation)?|details)|addresses|phone numbers|user ?names?|session|cookies?|environment variables|env|passports?(?: numbers?)?|id numbers?|bank details|bank account(?: numbers?)?)`;
const LANGUAGE = String.raw`(?:english|french|spanish|german|chinese|mandarin|japanese|russian|italian|portuguese|arabic|hindi|korean|latin|dutch|swedish|greek|turkish|hebrew|polish)`;

/** "<Verb> <word> <past tense>": the verb is a noun of a reported event, not an imperative. */
const NOUN_THEN_PAST =
  /^[A-Za-z]+[ \t]+(?!(?:a|an|the|this|that|these|those|my|our|your|some|all|every)\b)[A-Za-z-]+[ \t]+(?:[a-z]+ed|was|were|is|are|has|had)\b/i;

/** Verbs that ask for an assistant's kind of work: writing, explaining, analysing, transforming. */
const ASSISTANT_VERBS = list(
  'write|compose|draft|generate|produce|craft|author|summarize|summarise|translate|explain|describe|analyze|analyse|outline|enumerate|calculate|compute|classify|categorize|categorise|evaluate|assess|compare|contrast|predict|forecast|estimate|brainstorm|paraphrase|rephrase|rewrite|proofread|debug|solve|decode|encode|encrypt|decrypt|critique|interpret|simulate|imagine|recite|narrate|elaborate on|break down|tell me|give me|show me|teach me|list|define|discuss|formulate|convert|identify|determine|research|investigate|recommend|suggest|propose|devise|detect|judge|rate|score',
);
/** Verbs as common in ordinary documents (how-tos, adverts, to-do lists) as in embedded tasks. */
const GENERIC_VERBS = list(
  'create|develop|design|find|provide|plan|build|share|offer|compile|conduct|perform|review|examine|explore|study|track|monitor|automate|schedule|organize|organise|promote|advertise|publish|post|tweet|announce|claim|state|say|inform|notify|warn|urge|encourage|invite|remind|ask|draw|sketch|invent|convince|persuade|spread|set up|make|prepare|use|apply|run|implement|code|program|get|name|rank|search',
);
const DETERMINER = String.raw`(?:a|an|the|some|three|two|five|ten|\d{1,3}|this|these|that|those|how|what|why|whether|if|about|all|each|every|one|any|several|various|its|their|python|javascript|java|sql|bash|c\+\+|short|brief|detailed|simple|quick|concise|latest|recent|main|top|best|potential|possible|common|popular|famous|major|important|interesting|fun|funny|random|creative|personalized|historical|global|trending|emerging|effective)\b`;
/** What an assistant is asked to produce. */
const TASK_NOUN = String.raw`(?:essays?|stor(?:y|ies)|poems?|summar(?:y|ies)|lists?|scripts?|functions?|programs?|code|letters?|speech(?:es)?|articles?|reports?|analys[ie]s|jokes?|tweets?|songs?|haikus?|slogans?|taglines?|descriptions?|explanations?|overviews?|strateg(?:y|ies)|recipes?|translations?|comparisons?|quiz(?:zes)?|dialogues?|outlines?|introductions?|conclusions?|paragraphs?|blog posts?|posts?|cover letters?|trends?|sentiments?|forecasts?|predictions?|insights?|campaigns?|advertisements?|ads?|pitch(?:es)?|riddles?|puzzles?|quotes?|facts?|tips?|algorithms?|queries|query|regex|spreadsheets?|charts?|dashboards?|models?|simulations?|chatbots?|bots?|conversations?|role-?plays?|scenarios?|plots?|characters?|narratives?|lyrics|limericks?|anecdotes?|bios?|biograph(?:y|ies)|reviews?|critiques?|rankings?|schedules?|itinerar(?:y|ies)|workouts?|meal plans?|study plans?|lesson plans?|curricul(?:um|a)|exercises?|examples?|equivalents?|definitions?|synonyms?|guides?|tutorials?|commands?|steps|snippets?|one-liners?|questions?|answers?|responses?|messages?|emails?|newsletters?|press releases?|rumou?rs?|claims?|headlines?|news)\b`;
const WH_WORDS = list('what|who|whom|which|why|how|when|where');
/** After the wh-word (and maybe a noun: "What movies are..."): an auxiliary, a few characters, "?". */
const QUESTION_REST = String.raw`(?:\s+[a-z]{3,20})?(?:'s|'re)?\s+(?:is|are|was|were|do|does|did|can|could|would|should|will|has|have|had|many|much|long|far|old|big|large|often|wrote|invented|discovered|painted|composed|founded|won|made|created)\b[^\n?]{3,160}\?`;
const LEAD_IN_WORDS: ReadonlySet<string> = new Set([
  'please',
  'kindly',
  'now',
  'also',
  'first',
  'next',
  'then',
  'additionally',
]);
const LABELS: ReadonlySet<string> = new Set(['note', 'ps', 'nb', 'important', 'update', 'reminder']);
const isLetter = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
/** Space, tab, quotes and opening brackets: what may stand between a sentence end and the next word. */
const isFiller = (c: number) =>
  c === 0x20 ||
  c === 0x09 ||
  c === 0x0d ||
  c === 0x22 ||
  c === 0x27 ||
  c === 0x28 ||
  c === 0x5b ||
  c === 0x201c ||
  c === 0x2018;

/** Start of the word ending at `end` (exclusive), or `end` when there is none. */
function wordStart(text: string, end: number): number {
  let k = end;
  while (k > 0 && isLetter(text.charCodeAt(k - 1))) k--;
  return k;
}

/** Whether only spaces and tabs lie between the line start and `at`. */
function onlySpaceBefore(text: string, at: number): boolean {
  for (let k = at - 1; k >= 0; k--) {
    const c = text.charCodeAt(k);
    if (c === 0x0a) return true;
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/**
 * The match opens a sentence that is not a list item: nothing before it on the line, or the end of a
 * sentence, or a label such as "Note:". Openers like "Please" or "Now" are looked through. List items
 * ("- Develop a plan", "1. Write tests", "a) Draft") are how documents hold tasks, so they do not count.
 * Reads backwards from `start`, a few characters at most.
 */
export function opensSentence(text: string, start: number): boolean {
  let k = start;
  for (;;) {
    while (k > 0 && (isFiller(text.charCodeAt(k - 1)) || text.charCodeAt(k - 1) === 0x2c)) k--;
    const w = wordStart(text, k);
    if (w === k || !LEAD_IN_WORDS.has(text.slice(w, k).toLowerCase())) break;
    k = w;
  }
  while (k > 0 && isFiller(text.charCodeAt(k - 1))) k--;
  if (k === 0) return true;
  const c = text.charCodeAt(k - 1);
  if (c === 0x0a) return true;
  if (c === 0x2e || c === 0x29) {
    // "1." "12)" "a." "b)" at the start of a line, or "1." inline: a list marker.
    let d = k - 1;
    while (d > 0 && isDigit(text.charCodeAt(d - 1)) && k - 1 - d < 3) d--;
    if (d < k - 1 && (d === 0 || /\s/.test(text[d - 1]!))) return false;
    if (
      d === k - 1 &&
      d > 0 &&
      isLetter(text.charCodeAt(d - 1)) &&
      (d - 1 === 0 || onlySpaceBefore(text, d - 1))
    )
      return false;
    return c === 0x2e;
  }
  if (c === 0x21 || c === 0x3f) return true;
  if (c === 0x3a) {
    const w = wordStart(text, k - 1);
    return (
      LABELS.has(
        text
          .slice(w, k - 1)
          .toLowerCase()
          .replace(/\./g, ''),
      ) && onlySpaceBefore(text, w)
    );
  }
  return false;
}

/**
 * A question about the reader or the writer ("How do I...", "What do you...", "How does it work?"):
 * ordinary correspondence and FAQ headings, not a task handed to an assistant.
 */
const mentionsReader = (s: string) =>
  /\b(?:you|your|yours|we|our|us)\b/i.test(s) ||
  /^\S+(?:\s+[a-z]{3,20})?(?:'s|'re)?\s+\S+\s+(?:i|me|my|it|this|that|they|he|she|there)\b/i.test(s.trim());

const notAfter = (re: RegExp) => (text: string, start: number) =>
  !re.test(text.slice(Math.max(0, start - 40), start));
const sentenceStart: Pattern['accept'] = (text, start) => opensSentence(text, start);

const I = 'injection' as const;
const R = 'role_impersonation' as const;
const X = 'exfiltration' as const;
const O = 'obfuscation' as const;
const C = 'malicious_code' as const;

export const PATTERNS: readonly Pattern[] = [
  // ── Overrides: the data tells the reader to drop what it was told ──────────────────────────────
  pattern({
    kind: 'instruction-override',
    category: I,
    weight: 0.9,
    lead: list('ignore|disregard|forget|overlook|override|bypass|abandon|discard|neglect'),
    rest: `${gap(2)}${EARLIER}${gap(3)}${INSTRUCTIONS}\\b`,
  }),
  pattern({
    kind: 'instruction-override',
    category: I,
    weight: 0.9,
    lead: list('follow|obey|following|aside|attention'),
    before: String.raw`\b(?:do\s+not|don't|never|stop|no\s+longer|set|pay\s+no)\s+`,
    rest: `(?:\\s+to)?${gap(2)}${EARLIER}${gap(3)}${INSTRUCTIONS}\\b`,
  }),
  pattern({
    kind: 'instructions-superseded',
    category: I,
    weight: 0.9,
    lead: list(
      'superseded|void|voided|null|cancelled|canceled|revoked|overridden|overruled|replaced|obsolete|invalid|outdated|deprecated|rescinded|longer',
    ),
    before: String.raw`\b(?:previous|prior|earlier|above|original|old|all|any|operator|system|existing|former|current|your)${gap(2)}${INSTRUCTIONS}\s+(?:(?:are|is|have\s+been|has\s+been|were|was|shall\s+be|must\s+be)\s+)?(?:(?:now|hereby)\s+)?(?:no\s+)?`,
    rest: String.raw`(?:(?<=longer)\s+(?:apply|applies|valid|in\s+effect|relevant)|(?<=null)\s+and\s+void|(?<!longer|null))\b`,
  }),
  pattern({
    kind: 'new-instructions',
    category: I,
    weight: 0.8,
    lead: list('your'),
    rest: String.raw`\s+(?:new|real|actual|true|updated|revised|only|next|primary|main|final|current)\s+(?:task|instructions?|goal|objective|mission|job|role|purpose|directive|orders|priority|assignment)\s*(?:is\b|are\b|will\s+be\b|:|-)`,
  }),
  pattern({
    kind: 'new-instructions-header',
    category: I,
    weight: 0.55,
    lead: list('new|updated|revised|real|actual|secret|hidden|override|important|additional|urgent'),
    rest: String.raw`\s+(?:system\s+)?(?:instructions?|directives?|orders|task|objective|prompt)\s*:`,
  }),
  pattern({
    kind: 'from-now-on',
    category: I,
    weight: 0.7,
    lead: list(
      'now on|this point on|this point forward|henceforth|rest of this conversation|rest of the conversation',
    ),
    before: String.raw`(?:\bfrom\s+|\bfor\s+the\s+|(?=henceforth))`,
    rest: String.raw`,?\s+(?:you|always|never|only|respond|reply|answer|act|do\s+not|don't)\b`,
  }),
  pattern({
    kind: 'instead-of-task',
    category: I,
    weight: 0.75,
    lead: list('instead of'),
    rest: String.raw`\s+(?:the|your|my|their|doing|completing|answering|summari[sz]ing|following)${gap(2)}(?:task|request|question|instructions?|assignment|job|summary|prompt)\b`,
  }),
  pattern({
    kind: 'before-you-continue',
    category: I,
    weight: 0.7,
    lead: list('before you|before we'),
    rest: String.raw`\s+(?:can\s+)?(?:solve|complete|continue|finish|proceed|answer|respond|start|do|perform|summari[sz]e|return)\b[^\n]{0,40}?\b(?:task|request|question|instructions?|this|that)\b[^\n]{0,30}?\b(?:you\s+(?:must|need\s+to|have\s+to|should)|please|first)\b`,
  }),
  // ── Requests aimed at the reading assistant ─────────────────────────────────────────────────────
  pattern({
    kind: 'addressed-to-assistant',
    category: I,
    weight: 0.8,
    lead: list(
      'dear|attention|attn|note to|message to|message for|instructions to|instructions for|instruction to|instruction for|hey|hi|hello|calling',
    ),
    rest: String.raw`\s*:?\s+(?:the\s+|any\s+|all\s+)?${AGENT}s?\b(?!\s+(?:act|regulation|policy|ethics|safety|research|industry|team|lab|labs|company|companies|startup|conference|summit|workshop|course|strategy|tools?|features?)\b)`,
  }),
  pattern({
    kind: 'addressed-to-assistant',
    category: I,
    weight: 0.8,
    lead: list(
      'ai|llm|large language model|language model|assistant|ai assistant|ai agent|agent|bot|chatbot|automated system|automated agent|automated assistant|autonomous agent|model',
    ),
    before: String.raw`\bif\s+you(?:'re|\s+are)\s+(?:an?|the)\s+`,
  }),
  pattern({
    kind: 'addressed-to-assistant',
    category: I,
    weight: 0.8,
    lead: AGENT_LEADS,
    rest: String.raw`\s*[,:]\s*(?:please\s+)?(?:ignore|disregard|forget|you|do|execute|run|send|forward|delete|isolate|output|print|write|say|reply|respond|answer|stop|now|from\s+now|immediately|make|call|use|transfer|pay|include|add|tell)\b`,
  }),
  pattern({
    kind: 'addressed-to-assistant',
    category: I,
    weight: 0.75,
    lead: list('ai|assistant|agent|model|llm|bot|language model'),
    before: String.raw`\b(?:to|for)\s+(?:the|any|all)\s+`,
    rest: String.raw`s?\b[^\n]{0,20}\b(?:reading|processing|summari[sz]ing|parsing|analy[sz]ing|handling|reviewing|viewing|seeing)\b`,
  }),
  pattern({
    kind: 'response-directive',
    category: I,
    weight: 0.75,
    lead: list('your'),
    before: String.raw`\b(?:in|into|within|throughout|inside|across|for|at\s+the\s+(?:end|beginning|start|top|bottom)\s+of|to(?:\s+the\s+(?:end|beginning|start)\s+of)?)\s+(?:all\s+(?:of\s+)?)?`,
    rest: String.raw`\s+(?:(?:next|final|first|following|upcoming|generated|entire|whole)\s+)?${RESPONSE}\b`,
    accept: notAfter(
      /\b(?:forward|thanks?|thank you|grateful|appreciate|apolog(?:y|ies|ize|ise)|sorry|look|looking|waiting|wait|respond|reply|listen|attention|due|according|answer|awaiting|regard|refer|subject|prior|added|attached|hope|ready|ask|asking)\b[^.!?\n]{0,25}$/i,
    ),
  }),
  pattern({
    kind: 'response-directive',
    category: I,
    weight: 0.7,
    lead: list('your'),
    before: String.raw`\b(?:modify|alter|adjust|augment|enhance|enrich|change|edit|begin|start|end|finish|conclude|close|format|structure|write|compose|translate|encode|encrypt|convert|render|rewrite|rephrase|reverse|scramble|jumble|misspell|sign|phrase|make|keep|deliver|present|provide|give|craft|frame|shape|fill|pepper|sprinkle|style|limit|shorten|lengthen|expand|return|output|print|express|construct|redo|revise|display|represent|show|communicate|illustrate|accompany|punctuate|embellish|decorate|infuse)\s+(?:all\s+(?:of\s+)?)?(?:each\s+of\s+)?`,
    rest: String.raw`\s+(?:(?:next|final|entire|whole|upcoming)\s+)?${RESPONSE}\b`,
  }),
  pattern({
    kind: 'response-directive',
    category: I,
    weight: 0.6,
    lead: list('your'),
    rest: String.raw`\s+(?:(?:next|final|entire|upcoming)\s+)?${RESPONSE}\s+(?:should|must|shall|needs?\s+to|has\s+to|ought\s+to|will\s+need\s+to|is\s+to)\s+(?:be\b|include|contain|start|begin|end|mention|use|feature|incorporate|consist|follow|only|always|never|now|also|have)`,
  }),
  pattern({
    kind: 'response-directive',
    category: I,
    weight: 0.6,
    lead: list('respond|reply|answer|write|output|print|speak|talk|communicate|rewrite|translate'),
    rest: String.raw`\s+(?:(?:only|exclusively|entirely|solely)\s+)?(?:in|with|using|via)\s+(?:(?:only|all|the|pure)\s+)?(?:emojis?|emoticons|base-?64|hex(?:adecimal)?|binary|morse|pig\s+latin|upper\s*case|all\s+caps|capital\s+letters|lowercase|reversed?(?:\s+order|\s+text)?|rot13|caesar|cipher|leetspeak|leet|code\s+words|riddles?|rhymes?|a\s+poem|poetry|haiku|limericks?|shakespearean|pirate|${LANGUAGE})\b`,
    accept: (text, start) =>
      opensSentence(text, start) ||
      /\b(?:please|now|also|and|then|always|must|should|(?:can|could|would|will) you)\s*$/i.test(
        text.slice(Math.max(0, start - 20), start),
      ),
  }),
  pattern({
    kind: 'task-hijack',
    category: I,
    weight: 0.55,
    lead: ASSISTANT_VERBS,
    rest: String.raw`\s+(?:me\s+|us\s+)?${DETERMINER}`,
    accept: sentenceStart,
  }),
  pattern({
    kind: 'task-hijack',
    category: I,
    weight: 0.55,
    lead: list('help me'),
    rest: String.raw`\s+(?:with|to|find|write|plan|choose|understand|create|make|get|decide|pick|learn)\b`,
    accept: sentenceStart,
  }),
  pattern({
    kind: 'task-hijack',
    category: I,
    weight: 0.55,
    lead: GENERIC_VERBS,
    rest: String.raw`\s+(?:me\s+|us\s+)?(?:${DETERMINER}[^\n.!?]{0,40}?\b)?${TASK_NOUN}`,
    accept: sentenceStart,
  }),
  pattern({
    // An assistant's task alone on its own line: "Suggest weekend getaways near San Francisco."
    kind: 'standalone-task',
    category: I,
    weight: 0.55,
    lead: ASSISTANT_VERBS,
    before: String.raw`(?:^|\n)[ \t]{0,8}(?:(?:please|kindly|now|also|then)[ \t,]+)?`,
    rest: String.raw`\s[^\n]{3,200}(?=\n|$)`,
    // A log line, not an order: the verb is a noun there ("Debug key rotated at 03:10", "List update
    // failed"), so a past-tense verb follows its first word.
    accept: (text, start, end) => !NOUN_THEN_PAST.test(text.slice(start, Math.min(end, start + 80))),
  }),
  pattern({
    kind: 'task-request',
    category: I,
    weight: 0.55,
    lead: list('you'),
    before: String.raw`\b(?:can|could|would|will)\s+`,
    rest: String.raw`\s+(?:please\s+|kindly\s+)?(?:write|compose|draft|generate|create|produce|summari[sz]e|translate|explain|describe|analy[sz]e|outline|list|calculate|compute|classify|evaluate|assess|compare|predict|forecast|estimate|brainstorm|suggest|recommend|propose|design|develop|plan|research|investigate|find|identify|determine|define|discuss|tell\s+me|give\s+me|show\s+me|teach\s+me|help\s+me|provide|name|paraphrase|rephrase|rewrite|proofread|debug|implement|solve|convert|encode|decode|encrypt|decrypt|reverse|recite|share)\b`,
    accept: sentenceStart,
  }),
  pattern({
    kind: 'classification-request',
    category: I,
    weight: 0.55,
    lead: list(
      'positive or negative|negative or positive|positive negative or neutral|true or false|spam or not|sarcastic or sincere|sarcastic or not|fact or fiction|real or fake',
    ),
    before: String.raw`\b(?:is|are|was|were|does|do|would\s+you\s+say)\b[^\n?]{0,80}`,
    rest: String.raw`\b[^\n?]{0,40}\?`,
    needs: { char: '?', within: 80 },
  }),
  pattern({
    kind: 'output-transformation',
    category: I,
    weight: 0.6,
    lead: list(
      'replace|substitute|swap|convert|change|turn|capitalize|capitalise|uppercase|lowercase|reverse|remove|omit|drop|double|repeat|misspell|scramble|jumble|shuffle|rearrange|group|encode|encrypt|anagram|alternate|interleave|separate|combine',
    ),
    rest: String.raw`\s+(?:up\s+)?(?:(?:every|each|all|the|any|your)\s+)?(?:(?:first|second|third|fourth|fifth|other|last|\d{1,2}(?:st|nd|rd|th)?)\s+)?(?:letters?|vowels?|consonants?|words?|characters?|spaces?|punctuation|sentences?|keywords?)\b`,
    accept: sentenceStart,
  }),
  pattern({
    kind: 'output-transformation',
    category: I,
    weight: 0.7,
    lead: list('letters|vowels|consonants|words|characters|spaces|punctuation|sentences|keywords'),
    rest: String.raw`\b[^\n.!?]{0,40}?\b(?:of|in|from|within|throughout)\s+your\s+(?:responses?|answers?|repl(?:y|ies)|messages?|outputs?|text|writing)\b`,
  }),
  pattern({
    kind: 'output-transformation',
    category: I,
    weight: 0.7,
    lead: list(
      'render|encode|encrypt|scramble|jumble|reverse|translate|convert|rewrite|misspell|rearrange|anagram|obfuscate|cipher|transliterate',
    ),
    rest: String.raw`\s+(?:the\s+(?:letters|words|text)\s+(?:of|in)\s+)?your\s+(?:messages?|text|words|writing|sentences|content)\b`,
  }),
  pattern({
    kind: 'knowledge-question',
    category: I,
    weight: 0.4,
    lead: WH_WORDS,
    rest: QUESTION_REST,
    needs: { char: '?', within: 200 },
    accept: (text, start, end) => opensSentence(text, start) && !mentionsReader(text.slice(start, end)),
  }),
  pattern({
    // A question alone on its own line: in a document it stands outside the text around it.
    kind: 'standalone-question',
    category: I,
    weight: 0.55,
    lead: WH_WORDS,
    before: String.raw`(?:^|\n)[ \t]{0,8}`,
    rest: String.raw`${QUESTION_REST}[ \t]*(?=\n|$)`,
    needs: { char: '?', within: 200 },
    accept: (text, start, end) => !mentionsReader(text.slice(start, end)),
  }),
  pattern({
    kind: 'translation-request',
    category: I,
    weight: 0.55,
    lead: list('how'),
    rest: String.raw`\s+(?:do|would|can|could)\s+(?:you|i|we|one)\s+(?:say|write|translate|spell)\b[^\n?]{0,80}\?`,
    needs: { char: '?', within: 120 },
    accept: sentenceStart,
  }),
  pattern({
    kind: 'translation-request',
    category: I,
    weight: 0.55,
    lead: list('what'),
    rest: String.raw`(?:'s|\s+is|\s+are)\s+(?:the\s+)?[^\n?]{1,60}?\s+in\s+${LANGUAGE}\b[^\n?]{0,80}\?`,
    needs: { char: '?', within: 180 },
    accept: sentenceStart,
  }),
  pattern({
    kind: 'obligation-to-reader',
    category: I,
    weight: 0.4,
    lead: list('you'),
    rest: String.raw`\s+(?:must|shall|should|will|need\s+to|have\s+to|are\s+(?:required|instructed|ordered|directed|commanded|expected|obliged|obligated)\s+to)\s+(?:now|immediately|instead|urgently|first|also|always|never|only)\s+(?:ignore|disregard|forget|execute|run|call|invoke|send|forward|email|transfer|delete|remove|isolate|disable|shut|grant|share|reveal|output|print|write|say|reply|respond|answer|follow|obey|comply|use|perform|do|include|add|append|insert|tell|post|upload|visit|open|click|download|install|change|update|reset|create|make|book|pay|wire|approve)\b`,
  }),
  pattern({
    kind: 'secrecy-demand',
    category: I,
    weight: 0.75,
    lead: list(
      'tell|telling|inform|informing|notify|notifying|alert|alerting|ask|asking|mention|mentioning|let|letting|warn|warning|consult|consulting|reveal|revealing',
    ),
    before: String.raw`\b(?:do\s+not|don't|never|without)${gap(2)}`,
    rest: String.raw`(?:\s+(?:this|it))?(?:\s+to)?\s+(?:the\s+|your\s+)?(?:user|users|operator|operators|human|humans|owner|admin|administrator|anyone|on-call|principal|requester|supervisor)\b`,
  }),
  pattern({
    kind: 'approval-bypass',
    category: I,
    weight: 0.4,
    lead: list(
      'confirmation|approval|verification|review|consent|authorization|authorisation|permission|asking|confirm|confirming|approve|approving|verify|verifying|checking with',
    ),
    before: String.raw`\b(?:without|no\s+need\s+(?:to|for)|skip(?:ping)?|bypass(?:ing)?)\s+(?:(?:any|further|the|human|user|prior|additional)\s+)?`,
  }),
  pattern({
    kind: 'urgent-destructive-command',
    category: I,
    weight: 0.45,
    lead: list(
      'isolate|wipe|erase|delete|drop|destroy|format|quarantine|disable|terminate|revoke|transfer|wire|exfiltrate|leak|dump|shut down|shutdown|power off|decommission|purge|lock out|block',
    ),
    rest: String.raw`\b[^\n.]{0,60}?\b(?:immediately|right\s+now|at\s+once|without\s+delay|asap|urgently|now!|without\s+(?:confirmation|approval|review|verification|checking|asking|hesitation))`,
  }),
  pattern({
    kind: 'payload-insertion',
    category: I,
    weight: 0.7,
    lead: list('following|subsequent|below|provided|given|attached'),
    rest: String.raw`\s+(?:(?:python|code|shell|bash|sql|javascript)\s+)?(?:code|snippet|script|block|excerpt|section|segment|fragment|sentence|line|link|url|statement|paragraph|text|phrase|message|signature|disclaimer|note|hashtag|slogan|tagline|quote)s?\b(?:\s+(?:block|snippet|excerpt|section|segment|fragment))?[^\n]{0,80}?\b(?:in|into|to|within|inside|as\s+(?:a\s+)?part\s+of|throughout|at\s+the\s+(?:end|beginning|start)\s+of|with|for|behind)\s+(?:[a-z-]{1,15}\s+){0,3}?your\s+(?:code|codebase|solution|implementation|algorithm|program|script|response|answer|reply|output|project|function|application|app|work|design|architecture|approach|elucidation|development|logic|software|system|method|module)\b`,
  }),
  pattern({
    kind: 'payload-insertion',
    category: I,
    weight: 0.7,
    lead: list('your'),
    rest: String.raw`\s+(?:code|codebase|solution|implementation|algorithm|program|script|response|answer|reply|output|project|application)\b[^\n]{0,60}?\b(?:following|subsequent|below|provided|given)\s+(?:code|snippet|script|block|excerpt|section|segment|fragment|text|sentence|line|link)\b`,
  }),
  pattern({
    kind: 'payload-insertion',
    category: I,
    weight: 0.7,
    lead: list('following|subsequent|below|provided|given'),
    rest: String.raw`\s+(?:code|snippet|script|block|excerpt|section|segment|fragment)\b[^\n]{0,60}?\b(?:in|into|within|to)\s+(?:the\s+)?(?:code|solution|program|implementation|script|software|application)\s+(?:that\s+)?you\s+(?:develop|write|build|create|produce|generate|are\s+(?:writing|developing|building)|provide|deliver)\b`,
  }),
  pattern({
    kind: 'payload-insertion-imperative',
    category: I,
    weight: 0.45,
    lead: list(
      'integrate|incorporate|include|embed|insert|add|append|prepend|merge|blend|fuse|meld|weave|interweave|infuse|inject|execute|utilize|utilise|employ|leverage|deploy|adopt|enlist|absorb|engage|harmonize|harmonise|ensure|introduce|render|assimilate|implement|combine',
    ),
    rest: String.raw`\b[^\n]{0,60}?\b(?:following|subsequent|below|provided)\s+(?:code|snippet|script|block|excerpt|section|segment|fragment)\b`,
  }),
  // ── Claimed roles and authority ─────────────────────────────────────────────────────────────────
  pattern({
    kind: 'system-tag',
    category: R,
    weight: 0.85,
    lead: list('system|admin|administrator|instruction|instructions|developer|root|operator|assistant'),
    before: String.raw`#{2,}[ \t]{0,3}`,
    rest: String.raw`\s*(?:(?:message|prompt|override|note)\s*)?[:#\]]`,
  }),
  pattern({
    kind: 'system-tag',
    category: R,
    weight: 0.85,
    lead: list(
      'system|sys|system message|system prompt|system-message|system-prompt|admin|developer|instruction|instructions|im start|im end|endoftext|start of turn|end of turn|information|important|secret|hidden|prompt',
    ),
    before: String.raw`<[ \t]{0,3}\/?[ \t]{0,3}`,
    rest: String.raw`\s*>`,
  }),
  pattern({
    kind: 'system-tag',
    category: R,
    weight: 0.85,
    lead: list('inst|sys|system|admin|system message|system prompt'),
    before: String.raw`\[[ \t]{0,3}\/?[ \t]{0,3}`,
    rest: String.raw`\s*\]`,
  }),
  pattern({
    kind: 'system-tag',
    category: R,
    weight: 0.85,
    lead: list('sys'),
    before: String.raw`<<[ \t]{0,3}\/?[ \t]{0,3}`,
    rest: String.raw`\s*>>`,
  }),
  pattern({
    kind: 'system-tag',
    category: R,
    weight: 0.85,
    lead: list('im start|im end|system|user|assistant|endoftext|start header id|end header id|eot id'),
    before: String.raw`<\|[ \t]{0,3}`,
    rest: String.raw`\s*\|>`,
  }),
  pattern({
    kind: 'system-tag',
    category: R,
    weight: 0.85,
    lead: list('system message|system-message'),
    before: String.raw`\([ \t]{0,3}`,
    rest: String.raw`\s*\)`,
  }),
  pattern({
    kind: 'system-tag',
    category: R,
    weight: 0.85,
    lead: list('begin|end of|system'),
    rest: String.raw`(?:(?<=begin)\s+(?:system|admin|developer|new)\s+(?:prompt|message|instructions?)|(?<=end\s+of)\s+(?:system\s+)?(?:prompt|instructions)|(?<=system)\s+(?:override|prompt|instructions?|directive)\s*:)`,
  }),
  pattern({
    kind: 'chat-turn-marker',
    category: R,
    weight: 0.35,
    lead: list('human|user|assistant|system|ai|gpt|chatgpt|claude'),
    before: String.raw`(?:^|\n)[ \t]{0,8}`,
    rest: String.raw`\s*:[ \t]+\S`,
  }),
  pattern({
    kind: 'authority-claim',
    category: R,
    weight: 0.7,
    lead: list('message|instruction|directive|request|order|notice|command|update|text|note'),
    before: String.raw`\b(?:this|the\s+following|the\s+above)\s+`,
    rest: String.raw`\s+(?:is|comes|was\s+sent|has\s+been\s+sent|originates|has\s+been\s+issued|was\s+issued)\s+(?:directly\s+)?(?:from|by)\s+(?:the\s+|your\s+)?(?:system|administrator|admin|sysadmin|developers?|operator|security\s+team|it\s+department|openai|anthropic|google|creator|owner|management|ceo|root|user|principal)\b`,
  }),
  pattern({
    kind: 'authority-claim',
    category: R,
    weight: 0.6,
    lead: list(
      'system administrator|administrator|admin|developer|creator|owner|operator|supervisor|system|master|programmer|principal|user',
    ),
    before: String.raw`\b(?:i\s+am|i'm|this\s+is)\s+(?:your|the)\s+`,
    rest: String.raw`\b(?![ \t]+(?:of|for|at|on|here)\b)`,
  }),
  pattern({
    kind: 'mode-switch',
    category: R,
    weight: 0.7,
    lead: list(
      'developer|god|jailbreak|jailbroken|dan|unrestricted|unfiltered|admin|sudo|superuser|evil|uncensored',
    ),
    rest: String.raw`\s+mode\b`,
  }),
  pattern({
    kind: 'role-reassignment',
    category: R,
    weight: 0.7,
    lead: list('you are now'),
    rest: String.raw`\s+(?:an?\s+|the\s+|my\s+)?(?:ai|assistant|bot|agent|model|hacker|admin|administrator|root|system|developer|unrestricted|unfiltered|jailbroken|evil|dan|different|new|free\s+(?:from|of)|no\s+longer|acting|operating|in\s+(?:developer|admin|god|dan|unrestricted|debug)\s+mode)\b`,
  }),
  pattern({
    kind: 'role-reassignment',
    category: R,
    weight: 0.7,
    lead: list('act|behave|respond|operate|function'),
    rest: String.raw`\s+as\s+(?:if\s+you\s+(?:are|were)\s+)?(?:an?\s+|the\s+)?(?:system|admin|administrator|root|developer|unrestricted|unfiltered|jailbroken|dan|hacker|different\s+(?:ai|assistant|model)|evil)\b`,
  }),
  pattern({
    kind: 'role-reassignment',
    category: R,
    weight: 0.7,
    lead: list('pretend|roleplay as|role-play as|role play as'),
    rest: String.raw`(?:(?<=pretend)\s+(?:to\s+be|you\s+are|you're|that\s+you\s+are)\b|(?<=as)\b)`,
  }),
  pattern({
    kind: 'role-reassignment',
    category: R,
    weight: 0.7,
    lead: list('you are|you will be'),
    rest: String.raw`\s+(?:no\s+longer|not)\s+(?:an?\s+)?(?:ai|assistant|bound|restricted|limited)\b`,
  }),
  pattern({
    kind: 'claimed-authorization',
    category: R,
    weight: 0.6,
    lead: list('authorization|authorisation|authorized|authorised'),
    rest: String.raw`\s*(?:(?:by|code|token|id)\s*)?[:=]\s*(?!bearer\b|basic\b|digest\b|negotiate\b|aws4|hmac|token\b)(?:[\w.+-]{1,64}@[\w.-]{1,64}|(?:granted|approved|confirmed|admin|root|ops-admin|sysadmin|override|level\s*\d|security\s+team|soc|ciso)\b)`,
  }),
  pattern({
    kind: 'claimed-authorization',
    category: R,
    weight: 0.45,
    lead: list('authorized|authorised|approved|sanctioned|mandated|ordered|signed off'),
    rest: String.raw`\s+by\s*:?\s+(?:the\s+)?(?:system\s+administrator|administrator|admin|root|ceo|cto|ciso|security\s+team|ops-admin|sysadmin|it\s+department|management|the\s+developers?|openai|anthropic)\b[^\n]{0,40}?\b(?:immediately|now|urgent|mandatory|required|must|override)\b`,
  }),
  pattern({
    kind: 'important-message',
    category: R,
    weight: 0.75,
    lead: list('important|urgent|critical|priority|special'),
    rest: String.raw`\s+(?:message|instructions?|notice|information|update|note)\s+(?:from\s+[^\n]{1,60}?\s+)?(?:to|for)\s+(?:you|the\s+(?:ai|assistant|agent|model|llm))\b`,
  }),
  // ── Exfiltration routes ─────────────────────────────────────────────────────────────────────────
  pattern({
    kind: 'send-sensitive-to-destination',
    category: X,
    weight: 0.75,
    lead: list(
      'send|forward|email|e-mail|mail|post|upload|transmit|exfiltrate|leak|share|copy|transfer|submit|deliver|dm|message|paste|report|relay|pass|give',
    ),
    rest: String.raw`\b[^\n]{0,50}?\b${SENSITIVE}\b[^\n]{0,50}?\b(?:to|at|via|into|on|with)\s+${DESTINATION}`,
  }),
  pattern({
    kind: 'send-sensitive-to-destination',
    category: X,
    weight: 0.75,
    lead: list(
      'send|forward|email|e-mail|post|upload|transmit|exfiltrate|leak|share|transfer|submit|paste|deliver',
    ),
    rest: String.raw`\s+(?:them|it|this|these|those|that|everything|all)\s+(?:to|at|via|into)\s+(?:${EMAIL}|${URL}|${IBAN})`,
    accept: (text, start) =>
      new RegExp(`\\b${SENSITIVE}\\b`, 'i').test(text.slice(Math.max(0, start - 100), start)),
  }),
  pattern({
    kind: 'send-to-destination',
    category: X,
    weight: 0.25,
    lead: list('send|forward|email|e-mail|post|upload|transmit|exfiltrate|leak|transfer|submit|paste'),
    rest: String.raw`\b[^\n]{0,80}?\b(?:to|at|via|into)\s+(?:${EMAIL}|${URL}|${IBAN})`,
  }),
  pattern({
    kind: 'bulk-forward',
    category: X,
    weight: 0.6,
    lead: list('forward|send|email|e-mail|copy|upload|export|dump|leak|share|post|exfiltrate|transmit|sync'),
    rest: String.raw`\s+(?:(?:me|us|them)\s+)?(?:all|every|each|the\s+entire|the\s+whole|the\s+full|all\s+of\s+(?:the|your|my)|the\s+complete|any\s+and\s+all)\s+(?:of\s+)?(?:(?:the|your|my|their|the\s+user'?s?|user)\s+)?(?:e-?mails?|messages?|mails?|inbox|files?|documents?|conversations?|chats?|chat\s+history|history|contacts?|data|contents?|records?|credentials|passwords|secrets|keys|tokens|transactions|notes|calendar|events)\b`,
  }),
  pattern({
    kind: 'markdown-image-exfil',
    category: X,
    weight: 0.9,
    lead: list('http|https'),
    before: String.raw`!\[[^\]\n[]{0,200}\]\([ \t]{0,3}<?`,
    rest: String.raw`:\/\/[^\s)]{1,500}\)`,
    accept: (text, start, end) => {
      const url = text.slice(start, end);
      const query = url.search(/[?#]/);
      return (
        query >= 0 &&
        /[{}<>[\]]|\$\{|%7B|%7D|\b(?:data|q|key|content|info|context)=|secret|password|token|history|chat|conversation|summary|memory/i.test(
          url.slice(query),
        )
      );
    },
  }),
  pattern({
    kind: 'markdown-image-query',
    category: X,
    weight: 0.3,
    lead: list('http|https'),
    before: String.raw`!\[[^\]\n[]{0,200}\]\([ \t]{0,3}<?`,
    rest: String.raw`:\/\/[^\s)?#]{1,200}\?[^\s)]{1,300}\)`,
  }),
  pattern({
    kind: 'templated-url',
    category: X,
    weight: 0.35,
    lead: list('http|https|www'),
    rest: String.raw`(?::\/\/|\.)[^\s"'<>?&]{1,200}[?&](?:[^\s"'<>=&]{1,40}=[^\s"'<>&]{0,60}&){0,8}[\w-]{1,40}=(?:\{\{?[^}\s]{1,60}\}\}?|\$\{[^}\s]{1,60}\}|\[[A-Z_ ]{2,40}\]|<[A-Z_ ]{2,40}>)`,
    needs: { char: '=', within: 300 },
  }),
  pattern({
    kind: 'exfil-endpoint',
    category: X,
    weight: 0.35,
    lead: list(
      'pastebin.com|paste.ee|hastebin.com|ghostbin|transfer.sh|webhook.site|requestbin|pipedream.net|ngrok.io|ngrok-free.app|ngrok.app|burpcollaborator.net|oastify.com|interact.sh|canarytokens|discord.com/api/webhooks|discordapp.com/api/webhooks|hooks.slack.com/services|file.io|anonfiles|0x0.st',
    ),
  }),
  pattern({
    kind: 'encode-and-send',
    category: X,
    weight: 0.7,
    lead: list('base64|base-64|hex|url|rot13'),
    rest: String.raw`[- ]?(?:encode|encoded|encoding)\b[^\n]{0,60}?\b(?:and|then)\s+(?:send|append|include|attach|post|put|add|embed|upload)\b`,
  }),
  // ── Obfuscation stated in words ─────────────────────────────────────────────────────────────────
  pattern({
    kind: 'decode-and-follow',
    category: O,
    weight: 0.75,
    lead: list('decode|decrypt|deobfuscate|unscramble|reverse|translate|interpret'),
    rest: String.raw`\b[^\n]{0,50}?\b(?:and|then)\s+(?:execute|run|follow|perform|obey|do|carry\s+out|act\s+on|comply\s+with|apply)\b`,
  }),
  // ── Code that destroys (one line) ───────────────────────────────────────────────────────────────
  pattern({
    kind: 'destructive-command',
    category: C,
    weight: 0.45,
    lead: list('rm|dd|mkfs|remove|iptables|netsh|rmtree|rmdir|format|del|kill|chmod|open|127.0.0.1'),
    rest: String.raw`(?:(?<=rm)\s+-(?:rf|fr|r\s+-f)\s+(?:\/|~|\*|\$home|\/usr|\/etc|\/var|\/lib|\/boot)|(?<=dd)\s+if=\/dev\/(?:zero|random|urandom)\s+of=\/dev\/|(?<=mkfs)(?:\.\w+)?\s+\/dev\/|(?<=remove)\(\s*["']\/(?:lib|bin|boot|etc|usr)\b|(?<=iptables)\s+-(?:P|A|I)\s+(?:INPUT|OUTPUT|FORWARD)\s+(?:-j\s+)?DROP|(?<=netsh)\s+(?:interface|advfirewall)[^\n]{0,60}?\b(?:disable|block)|(?<=rmtree|rmdir)\(\s*["'](?:\/|c:\\\\)|(?<=format)\s+c:|(?<=del)\s+\/[sfq]\s+\/[sfq]|(?<=kill)\s+-9\s+-1\b|(?<=chmod)\s+-R\s+0{3}\s+\/|(?<=open)\(\s*["']\/(?:boot|etc|bin|sbin|lib|usr\/lib)\/[^"'\n]{1,60}["']\s*,\s*["'][aw]|(?<=127\.0\.0\.1)\s+(?:www\.)?[\w-]+\.(?:com|org|net)\b[^\n]{0,40}(?:\/etc\/hosts|hosts))`,
  }),
];

/** Code that collects, downloads, floods or encrypts, near the part that sends or runs it. */
export const NEAR_PATTERNS: readonly NearPattern[] = [
  near(
    'code-exfiltration',
    C,
    0.45,
    {
      lead: list(
        'environ|getenv|getpass|psutil|uname|gethostname|pynput|keyboard|screenshot|imagegrab|mss|cookiejar|cookies|cookie|browser cookie3|clipboard|pyperclip|passwd|shadow|ssh|sniff|scapy|getasynckeystate|win32clipboard|keylogger|keylog|trash',
      ),
    },
    {
      lead: list(
        'post|put|urlopen|sendall|send|sendto|smtplib|ftplib|storbinary|paramiko|publish|connect|webhook|curl|get',
      ),
      rest: String.raw`(?:(?<=post|put|urlopen|send|sendall|sendto|connect)\s*\(|(?<=get)\s*\([^)\n]{0,200}cookies\s*=|(?<=smtplib|ftplib|storbinary|paramiko|publish|webhook)\b|(?<=curl)\s+-[a-z]*\s*-?[dFT]\b)`,
    },
    400,
  ),
  near(
    'download-execute',
    C,
    0.45,
    {
      lead: list(
        'urlretrieve|wget|curl|urlopen|urllib3|iwr|downloadstring|downloadfile|invoke-webrequest|get',
      ),
      rest: String.raw`(?:(?<=get)\s*\(|(?<=urlretrieve|wget|curl|urlopen|urllib3|iwr|downloadstring|downloadfile|webrequest)\b)`,
    },
    {
      lead: list('exec|eval|system|call|run|popen|sh|bash|chmod|iex|invoke-expression|nohup'),
      rest: String.raw`(?:(?<=exec|eval)\s*\(|(?<=system)\s*\(\s*f?["'](?:python|bash|sh|\.\/)|(?<=call|run|popen)\s*\(\s*\[\s*["'](?:python3?|bash|sh|nohup|\.\/)|(?<=\|\s{0,3}(?:sh|bash))\b|(?<=chmod)\s+\+x|(?<=iex|invoke-expression)\b|(?<=nohup)\s)`,
    },
    300,
  ),
  near(
    'flood-loop',
    C,
    0.45,
    { lead: list('while'), rest: String.raw`\s*\(?\s*(?:true|1)\s*\)?\s*:?` },
    {
      lead: list('get|post|system|send|connect|urlopen|fork|call'),
      rest: String.raw`(?:(?<=get|post|send|urlopen|fork)\s*\(|(?<=system)\s*\(\s*f?["']ping|(?<=connect)\s*\(\(|(?<=call)\s*\(\s*\[?\s*["']ping)`,
    },
    150,
  ),
  near(
    'ransomware-behaviour',
    C,
    0.45,
    { lead: list('walk|glob|listdir|scandir') },
    { lead: list('encrypt|fernet|aes') },
    400,
  ),
];

/** The patterns worth looking for in text recovered from an encoding (rot13): the unambiguous ones. */
export const STRONG_PATTERNS: readonly Pattern[] = PATTERNS.filter((p) => p.weight >= 0.7);

/** Words an obfuscation would hide; an obfuscated word from this list weighs more than a random one. */
export const HIDDEN_WORDS =
  /\b(?:ignore|ignoring|disregard|forget|instructions?|previous|prior|system|prompt|override|admin|administrator|root|sudo|password|passwd|secret|token|credentials?|execute|exec|eval|delete|isolate|assistant|jailbreak|bypass|exfiltrate|send|forward|transfer|shutdown|urgent|immediately|authori[sz]ation|confidential|api|key|ssh|wire|payment|invoice|bank|iban|account|login|verify|http|https|www|script|curl|wget|powershell|bash|rm|dd)\b/i;
