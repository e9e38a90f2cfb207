// Server nonces for DPoP (RFC 9449 §8): stateless, so every instance that shares the gateway's key
// issues and accepts the same ones. A nonce is a time slot and its HMAC; it is accepted in its slot and
// the next, so a client that was just handed one never races the rotation.

import { createHmac, timingSafeEqual } from 'node:crypto';

export class DpopNonces {
  constructor(
    private readonly secret: Buffer,
    /** Length of a slot; a nonce lives between one and two slots. */
    private readonly slotMs = 5 * 60_000,
  ) {
    if (secret.length < 32) throw new Error('the DPoP nonce secret must be at least 32 bytes');
  }

  issue(now: number): string {
    return this.forSlot(Math.floor(now / this.slotMs));
  }

  accepts(nonce: unknown, now: number): boolean {
    if (typeof nonce !== 'string' || nonce.length !== 38) return false;
    const slot = Math.floor(now / this.slotMs);
    const given = Buffer.from(nonce);
    return [slot, slot - 1].some((s) => {
      const expected = Buffer.from(this.forSlot(s));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }

  private forSlot(slot: number): string {
    const counter = Buffer.alloc(8);
    counter.writeBigUInt64BE(BigInt(Math.max(0, slot)));
    const mac = createHmac('sha256', this.secret).update(counter).digest().subarray(0, 20);
    return Buffer.concat([counter, mac]).toString('base64url');
  }
}
