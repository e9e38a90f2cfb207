// A set that forgets its oldest members past a size: what the proxy remembers having written, so a
// conversation's history, repeated every turn, is not written again. Forgetting only costs a rewrite.

export class BoundedSet {
  readonly #items = new Set<string>();

  /** Requires 0 < capacity. */
  constructor(readonly capacity: number) {}

  has(item: string): boolean {
    return this.#items.has(item);
  }

  add(item: string): void {
    if (this.#items.has(item)) return;
    this.#items.add(item);
    if (this.#items.size > this.capacity) {
      const oldest = this.#items.values().next();
      if (!oldest.done) this.#items.delete(oldest.value);
    }
  }
}
