// A receipt verifier that runs in the browser (Web Crypto: SHA-256 and Ed25519), so an auditor can check a
// receipt file on the page without trusting the gateway that served it. It makes the same checks, in the
// same order, as src/audit/receipt.ts's verifyReceipt (entry hash; tlog-proof syntax; index; checkpoint
// note signature, key id and syntax; origin; RFC 6962 inclusion), with the same canonical JSON code;
// test/web/verify_receipt.test.ts holds the two to the same verdicts.

import { canonicalJson } from '../../../src/engine/canonical_json.js';

export const RECEIPT_FORMAT = 'carapace.receipt/v1';
const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';
const MAX_PROOF_HASHES = 64;
const MAX_NOTE_SIGNATURES = 100;
const SIGNATURE_PREFIX = '\u2014 ';
const ED25519_TYPE = 0x01;
const BASE64_SHAPE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const CONTROL_OTHER_THAN_NEWLINE = /[\x00-\x09\x0b-\x1f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

export type BrowserReceiptCheck =
  { ok: true; seq: number; kind: string; origin: string; size: number } | { ok: false; problem: string };

/** A C2SP verifier key, parsed, with its Web Crypto public key. */
export interface BrowserVerifierKey {
  name: string;
  keyId: number;
  raw: Bytes;
  key: CryptoKey;
}

/** Bytes Web Crypto takes (backed by an ArrayBuffer, not a SharedArrayBuffer). */
type Bytes = Uint8Array<ArrayBuffer>;
/** Web Crypto as the browser and Node both have it (typed from the global, so both type checks agree). */
type SubtleCrypto = typeof globalThis.crypto.subtle;
type CryptoKey = Awaited<ReturnType<SubtleCrypto['importKey']>>;

class Problem extends Error {}

/** RFC 8032 §7.1 test 1's public key: a valid key to probe support with. */
const RFC8032_TEST_KEY = Uint8Array.from(
  'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'.match(/../g) as string[],
  (h) => Number.parseInt(h, 16),
);

/** Whether this browser's Web Crypto verifies Ed25519 (Chromium 113+, Firefox 129+, Safari 17+). */
export async function ed25519Supported(subtle: SubtleCrypto = crypto.subtle): Promise<boolean> {
  try {
    await subtle.importKey('raw', RFC8032_TEST_KEY, { name: 'Ed25519' }, false, ['verify']);
    return true;
  } catch {
    return false;
  }
}

/** Parses `<name>+<8 hex key id>+<base64(0x01 ‖ key)>` and checks the key id; throws with what is wrong. */
export async function parseVerifierKeyText(
  text: string,
  subtle: SubtleCrypto = crypto.subtle,
): Promise<BrowserVerifierKey> {
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw new Problem('a verifier key has the form <name>+<hex key ID>+<base64 key>');
  const name = text.slice(0, first);
  const idHex = text.slice(first + 1, second);
  if (!isValidKeyName(name))
    throw new Problem(`verifier key name ${JSON.stringify(name)} is not a valid key name`);
  if (!/^[0-9a-fA-F]{8}$/.test(idHex)) throw new Problem(`verifier key ${name}: key ID must be 8 hex digits`);
  const bytes = decodeCanonicalBase64(text.slice(second + 1));
  if (bytes === null || bytes.length === 0)
    throw new Problem(`verifier key ${name}: key is not canonical base64`);
  if (bytes[0] !== ED25519_TYPE) throw new Problem(`verifier key ${name}: only Ed25519 (type 0x01) keys`);
  const raw = bytes.slice(1);
  if (raw.length !== 32)
    throw new Problem(`verifier key ${name}: an Ed25519 public key is 32 bytes, not ${raw.length}`);
  const keyId = await noteKeyId(name, raw, subtle);
  if (keyId !== Number.parseInt(idHex, 16))
    throw new Problem(`verifier key ${name}: stated key ID ${idHex} does not match the name and key`);
  const key = await subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
  return { name, keyId, raw, key };
}

/** Checks a receipt offline against `key`: entry hash, checkpoint signature and origin, inclusion. */
export async function verifyReceiptInBrowser(
  receipt: unknown,
  key: BrowserVerifierKey,
  subtle: SubtleCrypto = crypto.subtle,
): Promise<BrowserReceiptCheck> {
  const bad = (problem: string): BrowserReceiptCheck => ({ ok: false, problem });
  const r = receipt as { format?: unknown; entry?: unknown; tlog_proof?: unknown } | null;
  if (typeof r !== 'object' || r === null || r.format !== RECEIPT_FORMAT)
    return bad(`not a ${RECEIPT_FORMAT} receipt`);
  const entry = r.entry as { seq?: unknown; hash?: unknown; kind?: unknown } | null;
  if (
    typeof entry !== 'object' ||
    entry === null ||
    !Number.isSafeInteger(entry.seq) ||
    typeof r.tlog_proof !== 'string'
  )
    return bad('receipt has no entry or no tlog_proof');
  const seq = entry.seq as number;

  let body: string;
  try {
    const { hash: _hash, ...rest } = entry;
    body = canonicalJson(rest);
  } catch {
    return bad('entry is not JSON');
  }
  const bodyBytes = utf8(body);
  const expected = `sha256:${hex(await sha256(bodyBytes, subtle))}`;
  if (expected !== entry.hash)
    return bad(`entry ${seq}: hash is ${String(entry.hash)} but the entry hashes to ${expected}`);

  let proof: { index: number; proof: Bytes[]; note: string };
  try {
    proof = parseTlogProof(r.tlog_proof);
  } catch (e) {
    return bad(`tlog_proof: ${(e as Error).message}`);
  }
  if (proof.index !== seq) return bad(`tlog_proof is for index ${proof.index}, the entry is seq ${seq}`);

  let checkpoint: { origin: string; size: number; root: Bytes };
  try {
    checkpoint = await openCheckpoint(proof.note, key, subtle);
  } catch (e) {
    if (!(e instanceof Problem)) throw e;
    return bad(`checkpoint: ${e.message}`);
  }
  try {
    const leaf = await sha256(concat([new Uint8Array([0x00]), bodyBytes]), subtle);
    await verifyInclusion(seq, checkpoint.size, leaf, proof.proof, checkpoint.root, subtle);
  } catch (e) {
    if (!(e instanceof Problem)) throw e;
    return bad(`entry ${seq} is not in the tree the checkpoint signs: ${e.message}`);
  }
  return { ok: true, seq, kind: String(entry.kind), origin: checkpoint.origin, size: checkpoint.size };
}

/** The c2sp.org/tlog-proof@v1 text: header, optional extra, index, hashes, empty line, checkpoint note. */
function parseTlogProof(text: string): { index: number; proof: Bytes[]; note: string } {
  let cursor = 0;
  let lineNumber = 0;
  const next = (what: string): string => {
    const end = text.indexOf('\n', cursor);
    lineNumber++;
    if (end < 0) throw new Problem(`line ${lineNumber}: expected ${what}, found the end of the text`);
    const line = text.slice(cursor, end);
    cursor = end + 1;
    return line;
  };
  if (next('the header') !== TLOG_PROOF_HEADER)
    throw new Problem(`line 1: the first line must be ${TLOG_PROOF_HEADER}`);
  let line = next("'extra <base64>' or 'index <n>'");
  if (line.startsWith('extra ')) {
    const extra = decodeCanonicalBase64(line.slice('extra '.length));
    if (extra === null || extra.length === 0)
      throw new Problem(`line ${lineNumber}: extra data must be non-empty canonical base64`);
    line = next("'index <n>'");
  }
  if (!line.startsWith('index ') || !DECIMAL.test(line.slice('index '.length)))
    throw new Problem(`line ${lineNumber}: expected 'index <n>' (decimal, no leading zeros)`);
  const index = Number(line.slice('index '.length));
  if (!Number.isSafeInteger(index)) throw new Problem(`line ${lineNumber}: index is larger than 2^53-1`);
  const proof: Bytes[] = [];
  for (;;) {
    line = next('a proof hash or the empty line before the checkpoint');
    if (line === '') break;
    if (proof.length === MAX_PROOF_HASHES)
      throw new Problem(`line ${lineNumber}: more than ${MAX_PROOF_HASHES} proof hashes`);
    const hash = decodeCanonicalBase64(line);
    if (hash === null) throw new Problem(`line ${lineNumber}: proof hash is not canonical base64`);
    if (hash.length !== 32)
      throw new Problem(`line ${lineNumber}: proof hash is ${hash.length} bytes, not 32`);
    proof.push(hash);
  }
  const note = text.slice(cursor);
  if (note.length === 0) throw new Problem(`line ${lineNumber + 1}: the checkpoint note is missing`);
  const problem = invalidNoteText(note);
  if (problem !== undefined)
    throw new Problem(`line ${lineNumber + 1}: in the checkpoint note that starts here: ${problem}`);
  if (!note.includes('\n\n'))
    throw new Problem(`line ${lineNumber + 1}: checkpoint note has no empty line before its signatures`);
  return { index, proof, note };
}

/** Opens a signed note with `key` (C2SP signed-note) and parses its text as a checkpoint of the key's origin. */
async function openCheckpoint(
  note: string,
  key: BrowserVerifierKey,
  subtle: SubtleCrypto,
): Promise<{ origin: string; size: number; root: Bytes }> {
  if (LONE_SURROGATE.test(note)) throw new Problem('not valid UTF-8 (lone surrogate)');
  if (CONTROL_OTHER_THAN_NEWLINE.test(note)) throw new Problem('a control character in the note');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new Problem('no empty line separating the text from the signatures');
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (block.length === 0) throw new Problem('no signature lines after the last empty line');
  if (!block.endsWith('\n')) throw new Problem('the last signature line does not end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES)
    throw new Problem(`${lines.length} signature lines (at most ${MAX_NOTE_SIGNATURES})`);
  const message = utf8(text);
  let verified = 0;
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX))
      throw new Problem('a signature line must start with an em dash (U+2014) and a space');
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(' ');
    if (space < 0) throw new Problem('a signature line needs a key name and a signature');
    const name = rest.slice(0, space);
    if (!isValidKeyName(name))
      throw new Problem(`key name ${JSON.stringify(name)} is not a valid note key name`);
    const bytes = decodeCanonicalBase64(rest.slice(space + 1));
    if (bytes === null) throw new Problem(`signature by ${name} is not canonical base64`);
    if (bytes.length < 5) throw new Problem(`signature by ${name} is shorter than a key ID and one byte`);
    const keyId = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
    if (name !== key.name || keyId !== key.keyId) continue; // a signature by another key is ignored
    if (verified > 0) throw new Problem(`a second signature by known key ${name}+${hex8(keyId)}`);
    const signature = bytes.slice(4);
    if (signature.length !== 64 || !(await subtle.verify({ name: 'Ed25519' }, key.key, signature, message)))
      throw new Problem(`signature by known key ${name}+${hex8(keyId)} does not verify`);
    verified++;
  }
  if (verified === 0) throw new Problem('no signature by a known key');

  const invalid = invalidNoteText(text);
  if (invalid !== undefined) throw new Problem(invalid);
  const [origin, sizeText, rootText, ...extensions] = text.slice(0, -1).split('\n');
  if (origin === undefined || sizeText === undefined || rootText === undefined)
    throw new Problem('a checkpoint has at least 3 lines (origin, size, root hash)');
  if (origin.length === 0) throw new Problem('line 1: origin is empty');
  if (!DECIMAL.test(sizeText))
    throw new Problem('line 2: tree size is not a decimal number without leading zeros');
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw new Problem('line 2: tree size is larger than 2^53-1');
  const root = decodeCanonicalBase64(rootText);
  if (root === null) throw new Problem('line 3: root hash is not canonical base64');
  if (root.length !== 32) throw new Problem(`line 3: root hash is ${root.length} bytes, not 32`);
  if (extensions.some((l) => l.length === 0)) throw new Problem('extension lines must be non-empty');
  if (origin !== key.name)
    throw new Problem(
      `line 1: origin ${JSON.stringify(origin)} is not the expected ${JSON.stringify(key.name)}`,
    );
  return { origin, size, root };
}

/** RFC 9162 §2.1.3.2: the root `proof` computes for `leaf` at `index` in a tree of `size` must be `root`. */
async function verifyInclusion(
  index: number,
  size: number,
  leaf: Bytes,
  proof: readonly Bytes[],
  root: Bytes,
  subtle: SubtleCrypto,
): Promise<void> {
  if (index >= size) throw new Problem(`leaf index ${index} is not below tree size ${size}`);
  const i = BigInt(index);
  const last = BigInt(size - 1);
  const inner = bitLength(i ^ last);
  const border = popCount(i >> BigInt(inner));
  if (proof.length !== inner + border)
    throw new Problem(
      `proof has ${proof.length} hashes, want ${inner + border} for leaf ${index} in a tree of size ${size}`,
    );
  let node = leaf;
  let position = i;
  for (const sibling of proof.slice(0, inner)) {
    node =
      position % 2n === 0n
        ? await hashChildren(node, sibling, subtle)
        : await hashChildren(sibling, node, subtle);
    position /= 2n;
  }
  for (const sibling of proof.slice(inner)) node = await hashChildren(sibling, node, subtle);
  if (hex(node) !== hex(root))
    throw new Problem(`root mismatch: expected ${hex(root)}, calculated ${hex(node)}`);
}

function hashChildren(left: Bytes, right: Bytes, subtle: SubtleCrypto): Promise<Bytes> {
  return sha256(concat([new Uint8Array([0x01]), left, right]), subtle);
}

async function noteKeyId(name: string, raw: Bytes, subtle: SubtleCrypto): Promise<number> {
  const digest = await sha256(concat([utf8(name), new Uint8Array([0x0a, ED25519_TYPE]), raw]), subtle);
  return new DataView(digest.buffer).getUint32(0);
}

function invalidNoteText(text: string): string | undefined {
  if (!text.endsWith('\n')) return 'note text must end with a newline';
  if (LONE_SURROGATE.test(text)) return 'not valid UTF-8 (lone surrogate)';
  if (CONTROL_OTHER_THAN_NEWLINE.test(text)) return 'a control character';
  return undefined;
}

function isValidKeyName(name: string): boolean {
  return (
    name.length > 0 &&
    !LONE_SURROGATE.test(name) &&
    !/[\p{White_Space}+]/u.test(name) &&
    !CONTROL_OTHER_THAN_NEWLINE.test(name)
  );
}

/** Standard base64 with padding and zero padding bits only: one byte string, one text. */
export function decodeCanonicalBase64(text: string): Bytes | null {
  if (!BASE64_SHAPE.test(text)) return null;
  const binary = atob(text);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return btoa(binary) === text ? bytes : null;
}

async function sha256(bytes: Bytes, subtle: SubtleCrypto): Promise<Bytes> {
  return new Uint8Array(await subtle.digest('SHA-256', bytes));
}

function utf8(text: string): Bytes {
  return new Uint8Array(new TextEncoder().encode(text));
}

function concat(parts: readonly Bytes[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function hex(bytes: Bytes): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

function popCount(n: bigint): number {
  return [...n.toString(2)].filter((c) => c === '1').length;
}
