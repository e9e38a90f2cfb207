// detectSecrets: credentials in text (tool outputs, logs, arguments) by their published shapes —
// cloud keys, API tokens, JWTs, PEM private keys, passwords in URLs and connection strings — with an
// entropy and placeholder filter so "sk-xxxx", "AKIAIOSFODNN7EXAMPLE" and "${DB_PASSWORD}" are not
// reported. Every pattern is anchored by a look-behind or a literal prefix and uses bounded repetition,
// so a scan is linear in the input (test/inspect/secrets/redos.test.ts). Pure and synchronous.

import { normalizeForScan } from '../normalize.js';
import { isPlaceholder, looksRandom } from './entropy.js';
import { SECRET_TYPES, type SecretDetectOptions, type SecretFinding, type SecretType } from './types.js';

interface Candidate {
  type: SecretType;
  start: number;
  end: number;
  score: number;
}

type Recognizer = (text: string, out: Candidate[]) => void;

/** Tokens recognised by a fixed prefix: the random part must look random. */
interface PrefixedToken {
  type: SecretType;
  pattern: RegExp;
  /** Group holding the random part (0 = the whole match). */
  randomGroup: number;
  minBits: number;
  score: number;
}

const PREFIXED: PrefixedToken[] = [
  {
    type: 'AWS_ACCESS_KEY_ID',
    pattern:
      /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)([A-Z0-9]{16})(?![A-Za-z0-9])/g,
    randomGroup: 1,
    minBits: 3,
    score: 0.95,
  },
  {
    type: 'GITHUB_TOKEN',
    pattern: /(?<![A-Za-z0-9_])(?:ghp|gho|ghu|ghs|ghr)_([A-Za-z0-9]{36})(?![A-Za-z0-9_])/g,
    randomGroup: 1,
    minBits: 3.5,
    score: 0.95,
  },
  {
    type: 'GITHUB_TOKEN',
    pattern: /(?<![A-Za-z0-9_])github_pat_([A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?![A-Za-z0-9_])/g,
    randomGroup: 1,
    minBits: 3.5,
    score: 0.95,
  },
  {
    type: 'SLACK_TOKEN',
    pattern:
      /(?<![A-Za-z0-9_-])xox[abposre]-((?:[A-Za-z0-9]{1,64}-){1,4}[A-Za-z0-9]{10,64})(?![A-Za-z0-9_-])/g,
    randomGroup: 1,
    minBits: 3,
    score: 0.95,
  },
  {
    type: 'SLACK_WEBHOOK',
    pattern:
      /https:\/\/hooks\.slack\.com\/(?:services|workflows)\/(T[A-Z0-9]{6,16}\/[A-Z0-9]{6,16}\/[A-Za-z0-9]{16,48})/g,
    randomGroup: 1,
    minBits: 3,
    score: 0.95,
  },
  {
    type: 'ANTHROPIC_API_KEY',
    pattern: /(?<![A-Za-z0-9_-])sk-ant-(?:api|admin)\d{2}-([A-Za-z0-9_-]{80,120})(?![A-Za-z0-9_-])/g,
    randomGroup: 1,
    minBits: 4,
    score: 0.95,
  },
  {
    type: 'OPENAI_API_KEY',
    pattern:
      /(?<![A-Za-z0-9_-])sk-(?!ant-)(?:(?:proj|svcacct|admin|None)-)?([A-Za-z0-9_-]{20,200})(?![A-Za-z0-9_-])/g,
    randomGroup: 1,
    minBits: 3.5,
    score: 0.9,
  },
  {
    type: 'STRIPE_KEY',
    pattern: /(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test)_([A-Za-z0-9]{16,128})(?![A-Za-z0-9_])/g,
    randomGroup: 1,
    minBits: 3.5,
    score: 0.95,
  },
  {
    type: 'STRIPE_KEY',
    pattern: /(?<![A-Za-z0-9_])whsec_([A-Za-z0-9]{24,128})(?![A-Za-z0-9_])/g,
    randomGroup: 1,
    minBits: 3.5,
    score: 0.95,
  },
];

function recognizePrefixed(text: string, out: Candidate[]): void {
  for (const p of PREFIXED) {
    for (const m of text.matchAll(p.pattern)) {
      const random = m[p.randomGroup] ?? m[0];
      if (!looksRandom(random, p.minBits)) continue;
      out.push({ type: p.type, start: m.index, end: m.index + m[0].length, score: p.score });
    }
  }
}

const AWS_SECRET =
  /(?:aws_?secret_?access_?key|secret_?access_?key|aws_?secret_?key|aws_?secret)["']?\s{0,3}[:=]\s{0,3}["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi;

function recognizeAwsSecrets(text: string, out: Candidate[]): void {
  for (const m of text.matchAll(AWS_SECRET)) {
    const value = m[1] ?? '';
    if (!looksRandom(value, 4)) continue;
    const start = m.index + m[0].length - value.length;
    out.push({ type: 'AWS_SECRET_ACCESS_KEY', start, end: start + value.length, score: 0.95 });
  }
}

const AZURE_KEY =
  /(?<![A-Za-z])(AccountKey|SharedAccessKey|SharedSecretValue)=([A-Za-z0-9+/]{20,128}={0,2})(?=;|\s|"|'|$)/g;
const AZURE_SAS = /[?&]sig=([A-Za-z0-9%+/]{20,256}={0,2}(?:%3D){0,2})(?=&|\s|"|'|$)/g;

function recognizeAzure(text: string, out: Candidate[]): void {
  for (const m of text.matchAll(AZURE_KEY)) {
    const value = m[2] ?? '';
    if (!looksRandom(value, 4)) continue;
    const start = m.index + m[0].length - value.length;
    out.push({ type: 'AZURE_KEY', start, end: start + value.length, score: 0.95 });
  }
  if (!text.includes('sv=')) return;
  for (const m of text.matchAll(AZURE_SAS)) {
    const value = m[1] ?? '';
    if (!looksRandom(value, 4)) continue;
    const start = m.index + m[0].length - value.length;
    out.push({ type: 'AZURE_KEY', start, end: start + value.length, score: 0.9 });
  }
}

const JWT =
  /(?<![A-Za-z0-9_-])(eyJ[A-Za-z0-9_-]{4,4096})\.(eyJ[A-Za-z0-9_-]{4,8192})\.([A-Za-z0-9_-]{16,2048})(?![A-Za-z0-9_-])/g;

function base64UrlJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function recognizeJwts(text: string, out: Candidate[]): void {
  if (!text.includes('eyJ')) return;
  for (const m of text.matchAll(JWT)) {
    const header = base64UrlJson(m[1] ?? '');
    if (header === null || typeof header !== 'object' || !('alg' in header)) continue;
    const payload = base64UrlJson(m[2] ?? '');
    if (payload === null || typeof payload !== 'object') continue;
    if (!looksRandom(m[3] ?? '', 3.5)) continue;
    out.push({ type: 'JWT', start: m.index, end: m.index + m[0].length, score: 0.95 });
  }
}

const PEM_BEGIN = /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----/g;
/** Longest PEM body searched for its END line (an RSA-8192 key is under 7 KB). */
const MAX_PEM = 16384;

function recognizePrivateKeys(text: string, out: Candidate[]): void {
  if (!text.includes('-----BEGIN ')) return;
  PEM_BEGIN.lastIndex = 0;
  for (let m = PEM_BEGIN.exec(text); m !== null; m = PEM_BEGIN.exec(text)) {
    const endLine = `-----END ${m[1] ?? ''}-----`;
    // Blocks do not nest: the END line is looked for within MAX_PEM only, and the search goes on after it.
    const endAt = text.slice(m.index, m.index + MAX_PEM + endLine.length).indexOf(endLine);
    const end = endAt === -1 ? undefined : m.index + endAt + endLine.length;
    // A key whose END line is missing (cut output) is still a key: redact to the end of its body.
    let stop = end;
    if (stop === undefined) {
      const body = /^(?:\\n|\\r|[A-Za-z0-9+/=\s:,-]){0,16384}/.exec(
        text.slice(m.index + m[0].length, m.index + m[0].length + MAX_PEM),
      );
      stop = m.index + m[0].length + (body?.[0].length ?? 0);
    }
    const before = text.slice(Math.max(0, m.index - 200), m.index);
    const gcp =
      /"private_key"\s{0,3}:\s{0,3}"$/.test(before) ||
      (/"private_key"/.test(before) && /service_account/.test(text));
    out.push({
      type: gcp ? 'GCP_SERVICE_ACCOUNT_KEY' : 'PRIVATE_KEY',
      start: m.index,
      end: stop,
      score: end === undefined ? 0.9 : 1,
    });
    PEM_BEGIN.lastIndex = Math.max(stop, m.index + m[0].length);
  }
}

const DB_SCHEMES =
  /^(?:postgres|postgresql|mysql|mariadb|mongodb|mongodb\+srv|redis|rediss|amqp|amqps|mssql|sqlserver|oracle|db2|cockroachdb|clickhouse|jdbc:[a-z]{2,20}|neo4j|couchdb|cassandra|memcached|ldap|ldaps)$/i;
const URL_CREDENTIALS =
  /(?<![A-Za-z0-9+.:-])([A-Za-z][A-Za-z0-9+.:-]{1,30}):\/\/([^\s:@/?#'"<>]{0,128}):([^\s@/?#'"<>]{1,256})@(?=[A-Za-z0-9[])/g;

function recognizeUrlPasswords(text: string, out: Candidate[]): void {
  if (!text.includes('://')) return;
  for (const m of text.matchAll(URL_CREDENTIALS)) {
    const password = m[3] ?? '';
    if (isPlaceholder(password) || /^(?:password|passwd|pass|pwd|secret)$/i.test(password)) continue;
    const start = m.index + m[0].length - 1 - password.length;
    const type: SecretType = DB_SCHEMES.test(m[1] ?? '') ? 'DB_CONNECTION_STRING' : 'URL_PASSWORD';
    out.push({ type, start, end: start + password.length, score: 0.9 });
  }
}

const KEYWORD_PASSWORD = /(?<![A-Za-z0-9_])(?:password|passwd|pwd)\s{0,3}=\s{0,3}([^;'"\s]{1,256})/gi;
const CONNECTION_CONTEXT =
  /\b(?:server|data source|host|database|initial catalog|uid|user id|username|port)\s{0,3}=/i;

function recognizeConnectionStrings(text: string, out: Candidate[]): void {
  for (const m of text.matchAll(KEYWORD_PASSWORD)) {
    const value = m[1] ?? '';
    if (isPlaceholder(value)) continue;
    const around = text.slice(Math.max(0, m.index - 200), m.index + m[0].length + 200);
    if (!around.includes(';') || !CONNECTION_CONTEXT.test(around)) continue;
    const start = m.index + m[0].length - value.length;
    out.push({ type: 'DB_CONNECTION_STRING', start, end: start + value.length, score: 0.9 });
  }
}

const BEARER = /(?<![A-Za-z0-9_])Bearer\s{1,3}([A-Za-z0-9_\-.~+/]{20,4096}={0,2})(?![A-Za-z0-9_\-.~+/=])/g;

function recognizeBearer(text: string, out: Candidate[]): void {
  for (const m of text.matchAll(BEARER)) {
    const value = m[1] ?? '';
    if (!looksRandom(value, 3.5)) continue;
    const start = m.index + m[0].length - value.length;
    out.push({ type: 'BEARER_TOKEN', start, end: start + value.length, score: 0.85 });
  }
}

/** "api_key = ...", "password: ...", "client_secret": "..." in configuration, logs and JSON. */
const ASSIGNMENT =
  /(?:api[_-]?key|apikey|secret|token|password|passwd|pwd|passphrase|private[_-]?key|access[_-]?key|credentials?|auth)["']?\s{0,3}(?::|=|=>)\s{0,3}["']?([^\s"',;&<>{}[\]()]{4,512})/gi;
const NAME_CHAR = /[A-Za-z0-9_.-]/;
const PASSWORD_NAME = /(?:password|passwd|pwd|passphrase)$/i;
/** Names that contain a secret word but hold no secret ("token_type", "secret_name", "password_policy"). */
const NOT_A_SECRET_NAME =
  /(?:_?(?:type|name|id|count|length|url|uri|file|path|policy|expires?|expiry|ttl|endpoint|header|prefix|hint|reset|required|set|changed|updated|enabled|version|kind|format|scope|field))$/i;

function recognizeAssignments(text: string, out: Candidate[]): void {
  for (const m of text.matchAll(ASSIGNMENT)) {
    // The name is the keyword and what is glued before it ("client_secret", "DB_PASSWORD").
    let from = m.index;
    while (from > 0 && m.index - from < 40 && NAME_CHAR.test(text.charAt(from - 1))) from--;
    const name = text.slice(from, m.index) + m[0].replace(/["']?\s{0,3}(?::|=|=>)[\s\S]*$/, '');
    const value = m[1] ?? '';
    if (NOT_A_SECRET_NAME.test(name) || isPlaceholder(value)) continue;
    if (/^(?:true|false|null|none|undefined|required|optional|string|\*+)$/i.test(value)) continue;
    const start = m.index + m[0].length - value.length;
    if (PASSWORD_NAME.test(name)) {
      if (value.length < 6) continue;
      out.push({ type: 'PASSWORD', start, end: start + value.length, score: 0.8 });
    } else {
      if (value.length < 16 || !looksRandom(value, 3.5)) continue;
      out.push({ type: 'GENERIC_API_KEY', start, end: start + value.length, score: 0.75 });
    }
  }
}

const RECOGNIZERS: Recognizer[] = [
  recognizePrivateKeys,
  recognizePrefixed,
  recognizeAwsSecrets,
  recognizeAzure,
  recognizeJwts,
  recognizeUrlPasswords,
  recognizeConnectionStrings,
  recognizeBearer,
  recognizeAssignments,
];

const TYPE_RANK: ReadonlyMap<SecretType, number> = new Map(SECRET_TYPES.map((t, i) => [t, i]));

/** Finds credentials in `text`. Offsets index `text` as given; findings are sorted and never overlap. */
export function detectSecrets(text: string, options: SecretDetectOptions = {}): SecretFinding[] {
  const types = new Set(options.types ?? SECRET_TYPES);
  for (const t of types)
    if (!(SECRET_TYPES as readonly string[]).includes(t))
      throw new TypeError(`unknown secret type ${JSON.stringify(t)}`);
  const minScore = options.minScore ?? 0.5;
  if (!(minScore >= 0 && minScore <= 1)) throw new RangeError('minScore must be within [0, 1]');
  const normalized = normalizeForScan(text);
  const candidates: Candidate[] = [];
  for (const recognize of RECOGNIZERS) recognize(normalized.text, candidates);
  const kept = candidates
    .filter((c) => types.has(c.type) && c.score >= minScore && c.end > c.start)
    .map((c) => ({ ...c, ...normalized.toOriginal(c.start, c.end) }))
    .sort(
      (a, b) =>
        b.score - a.score ||
        (TYPE_RANK.get(a.type) ?? 0) - (TYPE_RANK.get(b.type) ?? 0) ||
        b.end - b.start - (a.end - a.start) ||
        a.start - b.start,
    );
  const taken = new Uint8Array(text.length);
  const accepted: Candidate[] = [];
  for (const c of kept) {
    let free = true;
    for (let k = c.start; k < c.end && free; k++) free = taken[k] === 0;
    if (!free) continue;
    taken.fill(1, c.start, c.end);
    accepted.push(c);
  }
  return accepted
    .sort((a, b) => a.start - b.start)
    .map((c) => {
      const f: SecretFinding = { type: c.type, start: c.start, end: c.end, score: c.score };
      if (options.includeText) f.text = text.slice(c.start, c.end);
      return f;
    });
}

/** Every regular expression above, for the ReDoS tests (test/inspect/secrets/redos.test.ts). */
export const SECRET_PATTERNS: readonly RegExp[] = [
  ...PREFIXED.map((p) => p.pattern),
  AWS_SECRET,
  AZURE_KEY,
  AZURE_SAS,
  JWT,
  PEM_BEGIN,
  DB_SCHEMES,
  URL_CREDENTIALS,
  KEYWORD_PASSWORD,
  CONNECTION_CONTEXT,
  BEARER,
  ASSIGNMENT,
  PASSWORD_NAME,
  NOT_A_SECRET_NAME,
  NAME_CHAR,
];
