// RFC 6962/9162 Merkle tree hashing, proofs and proof verification, so that a signed checkpoint of the audit
// log proves an entry is in the log (inclusion) and that the log only ever grew (consistency).

import { hash } from 'node:crypto';

/** Bytes in a SHA-256 digest: every leaf hash, node hash, root and proof element. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);
// 0x01 || left || right, reused for every node hash: hashing is synchronous, so no two callers share it.
const nodeInput = Buffer.alloc(1 + 2 * HASH_SIZE, NODE_PREFIX);

/** MTH({}) = SHA-256(""). Shared, so never mutate it; MerkleTree.root(0) hands out a copy. */
export const EMPTY_ROOT: Buffer = hash('sha256', Buffer.alloc(0), 'buffer');

/** MTH({d}) = SHA-256(0x00 || d). Accepts any data, the empty string included. */
export function hashLeaf(data: Uint8Array): Buffer {
  return hash('sha256', Buffer.concat([LEAF_PREFIX, data]), 'buffer');
}

/** SHA-256(0x01 || left || right). Accepts any lengths (RFC 6962's known answers hash 4-byte inputs). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    return hash('sha256', Buffer.concat([NODE_PREFIX, left, right]), 'buffer');
  }
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return hash('sha256', nodeInput, 'buffer');
}

/** A proof that does not verify: what failed, and for a root mismatch both roots in hex. */
export class MerkleProofError extends Error {
  readonly code = 'E_MERKLE_PROOF';
  /** Hex of the root the caller supplied, when a computed root did not match it. */
  readonly expected: string | undefined;
  /** Hex of the root the proof computes, when it did not match the supplied one. */
  readonly calculated: string | undefined;

  /** Requires a message that names the proof kind and what failed. */
  constructor(message: string, mismatch?: { expected: Uint8Array; calculated: Uint8Array }) {
    const expected = mismatch && toHex(mismatch.expected);
    const calculated = mismatch && toHex(mismatch.calculated);
    super(mismatch ? `${message}: expected ${expected}, calculated ${calculated}` : message);
    this.name = 'MerkleProofError';
    this.expected = expected;
    this.calculated = calculated;
  }
}

/**
 * Throws MerkleProofError unless `proof` places `leafHash` at `index` in the tree of `size` leaves whose
 * root is `root`. Requires 0 <= index < size, all safe integers, and every hash HASH_SIZE bytes.
 */
export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  const shape = checkInclusionProof(index, size, leafHash, proof);
  checkHashSize(INCLUSION, 'root', root);
  const calculated = chainInclusionProof(index, leafHash, proof, shape);
  if (!equalBytes(calculated, root)) {
    throw new MerkleProofError(`${INCLUSION}: root mismatch for leaf ${index} in a tree of size ${size}`, {
      expected: root,
      calculated,
    });
  }
}

/**
 * The root a tree of `size` leaves must have if `proof` places `leafHash` at `index` (throws MerkleProofError
 * if the proof is malformed). Requires 0 <= index < size, all safe integers, and every hash HASH_SIZE bytes.
 */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Buffer {
  const shape = checkInclusionProof(index, size, leafHash, proof);
  return Buffer.from(chainInclusionProof(index, leafHash, proof, shape));
}

/**
 * Throws MerkleProofError unless `proof` shows that the tree of `size2` leaves with root `root2` extends the
 * tree of `size1` leaves with root `root1`. Requires 0 < size1 <= size2, safe integers; when size1 < size2,
 * every hash HASH_SIZE bytes. When size1 == size2 the proof must be empty and the roots equal byte for byte.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  checkTreeIndex(CONSISTENCY, 'size1', size1);
  checkTreeIndex(CONSISTENCY, 'size2', size2);
  if (size1 > size2)
    throw new MerkleProofError(`${CONSISTENCY}: size1 ${size1} is greater than size2 ${size2}`);
  // Checked before the equal-sizes case, as transparency-dev/merkle does: nothing is consistent with "no tree".
  if (size1 === 0)
    throw new MerkleProofError(`${CONSISTENCY}: size1 is 0, and no proof can start at the empty tree`);
  if (size1 === size2) {
    if (proof.length !== 0) {
      throw new MerkleProofError(
        `${CONSISTENCY}: sizes are equal (${size1}) but the proof has ${proof.length} hashes, want 0`,
      );
    }
    // Compared as given, whatever their length: the upstream vector
    // consistency/additional/sizes-are-equal-one-and-proof-is-empty.json accepts two equal 12-byte "roots" here.
    if (!equalBytes(root1, root2)) {
      throw new MerkleProofError(`${CONSISTENCY}: sizes are equal (${size1}) but root2 differs from root1`, {
        expected: root1,
        calculated: root2,
      });
    }
    return;
  }
  if (proof.length === 0)
    throw new MerkleProofError(`${CONSISTENCY}: empty proof from size ${size1} to ${size2}`);
  checkHashSize(CONSISTENCY, 'root1', root1);
  checkHashSize(CONSISTENCY, 'root2', root2);

  // The proof is the inclusion proof of leaf size1 - 1 in the tree of size2, minus the levels below the
  // perfect subtree that ends at size1; that subtree's root is proof[0], unless it is the whole of tree 1.
  const [fullInner, border] = decompInclProof(size1 - 1, size2);
  const shift = trailingZeros(size1);
  const inner = fullInner - shift;
  const seedIsRoot1 = size1 === 2 ** shift;
  const start = seedIsRoot1 ? 0 : 1;
  const want = start + inner + border;
  if (proof.length !== want) {
    throw new MerkleProofError(
      `${CONSISTENCY}: proof has ${proof.length} hashes, want ${want} from size ${size1} to ${size2}`,
    );
  }
  proof.forEach((h, i) => checkHashSize(CONSISTENCY, `proof[${i}]`, h));

  const [first] = proof;
  const seed = seedIsRoot1 || first === undefined ? root1 : first;
  const innerPath = proof.slice(start, start + inner);
  const borderPath = proof.slice(start + inner);
  const mask = shiftRight(size1 - 1, shift);
  const hash1 = chainBorderRight(chainInnerRight(seed, innerPath, mask), borderPath);
  if (!equalBytes(hash1, root1)) {
    throw new MerkleProofError(`${CONSISTENCY}: root1 mismatch for size ${size1}`, {
      expected: root1,
      calculated: hash1,
    });
  }
  const hash2 = chainBorderRight(chainInner(seed, innerPath, mask), borderPath);
  if (!equalBytes(hash2, root2)) {
    throw new MerkleProofError(`${CONSISTENCY}: root2 mismatch for size ${size2}`, {
      expected: root2,
      calculated: hash2,
    });
  }
}

/** Slots a level's buffer starts with; it doubles when full. */
const INITIAL_SLOTS = 64;

/**
 * An append-only RFC 6962 tree over leaf hashes, held in memory, that answers for every size it has had.
 * Level l keeps the hashes of its complete subtrees of 2^l leaves, floor(size / 2^l) of them, side by side in
 * one growable buffer. Incomplete subtrees are never stored: a root or proof for a size rebuilds the few on
 * that size's right border (O(log n) hashes), and keeps them for as long as the same size is asked for.
 */
export class MerkleTree {
  readonly #levels: Buffer[] = [];
  #size = 0;
  #border: { size: number; hashes: readonly Buffer[] } = { size: 0, hashes: [] };

  /** A tree holding `hashes` in order. Requires each to be HASH_SIZE bytes. */
  static fromLeafHashes(hashes: Iterable<Uint8Array>): MerkleTree {
    const tree = new MerkleTree();
    for (const leafHash of hashes) tree.append(leafHash);
    return tree;
  }

  /**
   * Appends two leaves at once with their parent already computed elsewhere (parallel verification
   * hashes pairs in worker threads). Requires an even size, HASH_SIZE-byte hashes, and
   * parent = hashChildren(left, right); returns the index of the left leaf.
   */
  appendPair(left: Uint8Array, right: Uint8Array, parent: Uint8Array): number {
    if (this.#size % 2 !== 0)
      throw new RangeError(`appendPair needs an even size, the tree has ${this.#size} leaves`);
    if (left.length !== HASH_SIZE || right.length !== HASH_SIZE || parent.length !== HASH_SIZE)
      throw new RangeError(`pair hashes must be ${HASH_SIZE} bytes`);
    const index = this.#size;
    this.#store(0, index, left);
    this.#store(0, index + 1, right);
    this.#store(1, index / 2, parent);
    for (let level = 1, node = index / 2; node % 2 === 1; level++, node = (node - 1) / 2) {
      this.#level(level).copy(nodeInput, 1, (node - 1) * HASH_SIZE, (node + 1) * HASH_SIZE);
      this.#store(level + 1, (node - 1) / 2, hash('sha256', nodeInput, 'buffer'));
    }
    this.#size = index + 2;
    return index;
  }

  /** Number of leaves appended so far. */
  get size(): number {
    return this.#size;
  }

  /** Appends a copy of `leafHash` and returns its index. Requires HASH_SIZE bytes. */
  append(leafHash: Uint8Array): number {
    if (leafHash.length !== HASH_SIZE) {
      throw new RangeError(`leaf hash is ${leafHash.length} bytes, want ${HASH_SIZE}`);
    }
    const index = this.#size;
    this.#store(0, index, leafHash);
    // A new right child completes its parent, and so on up: one hash per level, amortised O(1).
    for (let level = 0, node = index; node % 2 === 1; level++, node = (node - 1) / 2) {
      this.#level(level).copy(nodeInput, 1, (node - 1) * HASH_SIZE, (node + 1) * HASH_SIZE);
      this.#store(level + 1, (node - 1) / 2, hash('sha256', nodeInput, 'buffer'));
    }
    this.#size = index + 1;
    return index;
  }

  /** A copy of the leaf hash at `index`. Requires 0 <= index < size. */
  leafHash(index: number): Buffer {
    checkRange('leaf index', index, 0, this.#size - 1);
    return this.#node(0, index);
  }

  /** MTH of the first `size` leaves (EMPTY_ROOT for 0). Requires 0 <= size <= this.size. */
  root(size: number = this.#size): Buffer {
    checkRange('tree size', size, 0, this.#size);
    return size === 0 ? Buffer.from(EMPTY_ROOT) : this.#subtreeRoot(0, size);
  }

  /** RFC 6962 PATH(index, D[size]), lowest level first. Requires 0 <= index < size <= this.size. */
  inclusionProof(index: number, size: number = this.#size): Buffer[] {
    checkRange('tree size', size, 1, this.#size);
    checkRange('leaf index', index, 0, size - 1);
    const proof: Buffer[] = [];
    // Below level `inner` the leaf's path and the last leaf's path differ: their siblings are complete,
    // except the one at level inner - 1, which holds the last leaf and may be partial.
    const inner = bitLength(xor(index, size - 1));
    for (let level = 0; level < inner - 1; level++) {
      const node = shiftRight(index, level);
      proof.push(this.#node(level, node % 2 === 0 ? node + 1 : node - 1));
    }
    if (inner > 0) {
      const level = inner - 1;
      proof.push(this.#subtreeRoot((shiftRight(index, level) + 1) * 2 ** level, size));
    }
    // Above it the path runs along the right border: only complete left siblings.
    for (let level = inner, node = shiftRight(index, inner); node > 0; level++, node = Math.floor(node / 2)) {
      if (node % 2 === 1) proof.push(this.#node(level, node - 1));
    }
    return proof;
  }

  /** RFC 6962 PROOF(size1, D[size2]), lowest level first. Requires 0 < size1 <= size2 <= this.size. */
  consistencyProof(size1: number, size2: number = this.#size): Buffer[] {
    checkRange('tree size', size2, 1, this.#size);
    checkRange('earlier tree size', size1, 1, size2);
    const proof: Buffer[] = [];
    this.#subproof(size1, 0, size2, true, proof);
    return proof;
  }

  /** RFC 6962 SUBPROOF(m, D[start:end], complete), appended to `out`. Requires 0 < m <= end - start. */
  #subproof(m: number, start: number, end: number, complete: boolean, out: Buffer[]): void {
    const n = end - start;
    if (m === n) {
      if (!complete) out.push(this.#subtreeRoot(start, end));
      return;
    }
    const k = 2 ** (bitLength(n - 1) - 1);
    if (m <= k) {
      this.#subproof(m, start, start + k, complete, out);
      out.push(this.#subtreeRoot(start + k, end));
    } else {
      this.#subproof(m - k, start + k, end, false, out);
      out.push(this.#subtreeRoot(start, start + k));
    }
  }

  /**
   * MTH(D[start:end]): a stored node when complete, else a node on the right border of the tree of `end`.
   * Requires start < end <= size, start a multiple of the least power of two >= end - start.
   */
  #subtreeRoot(start: number, end: number): Buffer {
    const width = end - start;
    const level = bitLength(width - 1);
    if (width === 2 ** level) return this.#node(level, start / width);
    const node = this.#rightBorder(end)[level];
    if (node === undefined) throw new RangeError(`no level ${level} in a tree of size ${end}`);
    return Buffer.from(node);
  }

  /**
   * For each level up to the root, the hash of the subtree holding leaf size - 1, complete or not: one hash
   * per incomplete level with a left sibling. Kept for the last size asked; a size's border never changes.
   * Requires 1 <= size <= this.size.
   */
  #rightBorder(size: number): readonly Buffer[] {
    if (this.#border.size === size) return this.#border.hashes;
    const last = size - 1;
    let subtree = this.#node(0, last);
    const hashes = [subtree];
    for (let level = 1, child = last; level <= bitLength(last); level++, child = Math.floor(child / 2)) {
      if (size % 2 ** level === 0) {
        subtree = this.#node(level, Math.floor(child / 2));
      } else if (child % 2 === 1) {
        this.#level(level - 1).copy(nodeInput, 1, (child - 1) * HASH_SIZE, child * HASH_SIZE);
        nodeInput.set(subtree, 1 + HASH_SIZE);
        subtree = hash('sha256', nodeInput, 'buffer');
      }
      hashes.push(subtree);
    }
    this.#border = { size, hashes };
    return hashes;
  }

  /** A copy of the stored hash of complete subtree `index` at `level`. Requires it to be stored. */
  #node(level: number, index: number): Buffer {
    const offset = index * HASH_SIZE;
    const copy = Buffer.allocUnsafe(HASH_SIZE); // every byte is written just below
    this.#level(level).copy(copy, 0, offset, offset + HASH_SIZE);
    return copy;
  }

  /** The buffer of `level`. Requires at least one complete subtree at that level. */
  #level(level: number): Buffer {
    const buffer = this.#levels[level];
    if (buffer === undefined) throw new RangeError(`no complete subtree at level ${level}`);
    return buffer;
  }

  /** Stores `nodeHash` in slot `index` of `level`. Requires index to be the level's next free slot. */
  #store(level: number, index: number, nodeHash: Uint8Array): void {
    let buffer = this.#levels[level];
    if (buffer === undefined || buffer.length < (index + 1) * HASH_SIZE) {
      const grown = Buffer.alloc(Math.max(INITIAL_SLOTS * HASH_SIZE, 2 * (buffer?.length ?? 0)));
      buffer?.copy(grown);
      this.#levels[level] = buffer = grown;
    }
    buffer.set(nodeHash, index * HASH_SIZE);
  }
}

const INCLUSION = 'inclusion proof';
const CONSISTENCY = 'consistency proof';

/** Returns [inner, border] for a well-formed inclusion proof, else throws. Requires nothing. */
function checkInclusionProof(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): [number, number] {
  checkTreeIndex(INCLUSION, 'leaf index', index);
  checkTreeIndex(INCLUSION, 'tree size', size);
  if (index >= size)
    throw new MerkleProofError(`${INCLUSION}: leaf index ${index} is not below tree size ${size}`);
  checkHashSize(INCLUSION, 'leaf hash', leafHash);
  const [inner, border] = decompInclProof(index, size);
  if (proof.length !== inner + border) {
    throw new MerkleProofError(
      `${INCLUSION}: proof has ${proof.length} hashes, want ${inner + border} for leaf ${index} in a tree of size ${size}`,
    );
  }
  proof.forEach((h, i) => checkHashSize(INCLUSION, `proof[${i}]`, h));
  return [inner, border];
}

/** The root an inclusion proof computes. Requires checkInclusionProof to have passed with `shape`. */
function chainInclusionProof(
  index: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  [inner]: [number, number],
): Uint8Array {
  return chainBorderRight(chainInner(leafHash, proof.slice(0, inner), index), proof.slice(inner));
}

/**
 * Splits the inclusion proof of leaf `index` in a tree of `size` into the levels below the point where its
 * path leaves the path of leaf size - 1 (inner) and the left siblings above it (border). Requires index < size.
 */
function decompInclProof(index: number, size: number): [number, number] {
  const inner = bitLength(xor(index, size - 1));
  return [inner, popCount(shiftRight(index, inner))];
}

/** Hashes up from `seed` at position `index` of its level, a sibling per level. Requires 32-byte hashes. */
function chainInner(seed: Uint8Array, proof: readonly Uint8Array[], index: number): Uint8Array {
  let node = index;
  for (const sibling of proof) {
    seed = node % 2 === 0 ? hashChildren(seed, sibling) : hashChildren(sibling, seed);
    node = Math.floor(node / 2);
  }
  return seed;
}

/** Like chainInner, but only with left siblings: the same subtree as it was before its right part grew. */
function chainInnerRight(seed: Uint8Array, proof: readonly Uint8Array[], index: number): Uint8Array {
  let node = index;
  for (const sibling of proof) {
    if (node % 2 === 1) seed = hashChildren(sibling, seed);
    node = Math.floor(node / 2);
  }
  return seed;
}

/** Hashes up the tree's right border, where every sibling is on the left. Requires 32-byte hashes. */
function chainBorderRight(seed: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  for (const sibling of proof) seed = hashChildren(sibling, seed);
  return seed;
}

/** Throws unless `value` is a safe non-negative integer. Requires nothing. */
function checkTreeIndex(proofKind: string, what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new MerkleProofError(`${proofKind}: ${what} ${value} is not a safe non-negative integer`);
  }
}

/** Throws unless `value` is exactly HASH_SIZE bytes. Requires nothing. */
function checkHashSize(proofKind: string, what: string, value: Uint8Array): void {
  if (value.length !== HASH_SIZE) {
    throw new MerkleProofError(`${proofKind}: ${what} is ${value.length} bytes, want ${HASH_SIZE}`);
  }
}

/** Throws RangeError unless `value` is an integer in [min, max]. Requires nothing. */
function checkRange(what: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(
      max < min
        ? `${what} ${value}: the tree is too small`
        : `${what} ${value} is not an integer in [${min}, ${max}]`,
    );
  }
}

/** Byte-for-byte equality of any two byte strings. Requires nothing. */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Lower-case hex of any byte string. Requires nothing. */
function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

// Bit arithmetic on safe integers (up to 2^53 - 1): JavaScript's bitwise operators stop at 32 bits, so
// these split a value into two 32-bit words, or use exact division by powers of two.
const WORD = 2 ** 32;

/** floor(x / 2^bits). Requires x a safe non-negative integer, 0 <= bits <= 53. */
function shiftRight(x: number, bits: number): number {
  return Math.floor(x / 2 ** bits);
}

/** Number of bits needed to write x (0 for 0). Requires x a safe non-negative integer. */
function bitLength(x: number): number {
  const high = Math.floor(x / WORD);
  return high > 0 ? 64 - Math.clz32(high) : 32 - Math.clz32(x >>> 0);
}

/** Number of set bits of x. Requires x a safe non-negative integer. */
function popCount(x: number): number {
  return popCount32(Math.floor(x / WORD)) + popCount32(x >>> 0);
}

/** Number of set bits of a 32-bit word. Requires 0 <= x < 2^32. */
function popCount32(x: number): number {
  let n = x - ((x >>> 1) & 0x55555555);
  n = (n & 0x33333333) + ((n >>> 2) & 0x33333333);
  return (Math.imul((n + (n >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Number of trailing zero bits of x. Requires x a safe positive integer. */
function trailingZeros(x: number): number {
  const low = x >>> 0;
  return low !== 0 ? 31 - Math.clz32(low & -low) : 32 + trailingZeros(Math.floor(x / WORD));
}

/** a XOR b. Requires both safe non-negative integers. */
function xor(a: number, b: number): number {
  return ((Math.floor(a / WORD) ^ Math.floor(b / WORD)) >>> 0) * WORD + (((a >>> 0) ^ (b >>> 0)) >>> 0);
}
