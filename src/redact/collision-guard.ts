/**
 * Proof at export time that a unique column's pseudonyms stay unique: remembers, per column,
 * each 96-bit pseudonym with 32 further bits of its digest. The same pseudonym with the same
 * further bits is the same input seen again (a value repeated in a multi-column unique key, or
 * a sameAs column); with different bits it is two distinct inputs that collided, and the
 * snapshot could not be imported, so export stops (RedactionCollisionError).
 *
 * Memory: an open-addressing table of 16-byte slots, at most half full, so about 34 bytes per
 * distinct value (plus the old table while it doubles): ~35 MB for a million distinct values in
 * one unique redacted column. A JavaScript Set of strings would take ~3-4 times that.
 */
export class CollisionGuard {
  /** Slot i: words 4i..4i+2 = the 96 pseudonym bits, 4i+3 = the check bits. */
  private slots: Uint32Array;
  private used: Uint8Array;
  private size = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity) capacity *= 2;
    this.slots = new Uint32Array(capacity * 4);
    this.used = new Uint8Array(capacity);
  }

  /** Distinct inputs seen. */
  get count(): number {
    return this.size;
  }

  /**
   * Records a digest (at least 16 bytes: the first 12 are the pseudonym's bits, the next 4 the
   * check). Returns false when a different input already has this pseudonym.
   */
  add(digest: Buffer): boolean {
    const a = digest.readUInt32BE(0);
    const b = digest.readUInt32BE(4);
    const c = digest.readUInt32BE(8);
    const check = digest.readUInt32BE(12);
    const found = this.find(a, b, c);
    if (this.used[found] === 1) return this.slots[found * 4 + 3] === check;
    this.put(found, a, b, c, check);
    this.size++;
    if (this.size * 2 > this.used.length) this.grow();
    return true;
  }

  /** The slot holding (a, b, c), or the empty slot where it belongs (linear probing; HMAC bits are uniform). */
  private find(a: number, b: number, c: number): number {
    const mask = this.used.length - 1;
    let index = a & mask;
    while (this.used[index] === 1) {
      const at = index * 4;
      if (this.slots[at] === a && this.slots[at + 1] === b && this.slots[at + 2] === c) return index;
      index = (index + 1) & mask;
    }
    return index;
  }

  private put(index: number, a: number, b: number, c: number, check: number): void {
    const at = index * 4;
    this.slots[at] = a;
    this.slots[at + 1] = b;
    this.slots[at + 2] = c;
    this.slots[at + 3] = check;
    this.used[index] = 1;
  }

  private grow(): void {
    const { slots, used } = this;
    this.slots = new Uint32Array(slots.length * 2);
    this.used = new Uint8Array(used.length * 2);
    for (let index = 0; index < used.length; index++) {
      if (used[index] !== 1) continue;
      const at = index * 4;
      const a = slots[at] ?? 0;
      const b = slots[at + 1] ?? 0;
      const c = slots[at + 2] ?? 0;
      this.put(this.find(a, b, c), a, b, c, slots[at + 3] ?? 0);
    }
  }
}
