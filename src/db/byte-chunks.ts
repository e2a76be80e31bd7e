/** Size of each chunk: a few per batch, each one large socket write. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * Bytes written straight into large buffers as they are produced (COPY data for CSV and binary
 * staging): no string per row, no joining, no re-encoding on the way to the socket. Subclasses
 * `reserve` room, then write into `chunk` at `used`.
 */
export abstract class ByteChunks {
  private readonly full: Buffer[] = [];
  private fullBytes = 0;
  protected chunk: Buffer = Buffer.alloc(0);
  protected used = 0;
  /** Rows added. */
  rows = 0;

  /** Bytes added so far. */
  get byteLength(): number {
    return this.fullBytes + this.used;
  }

  /** The bytes so far, as views of the chunks (not copies). */
  protected views(): Buffer[] {
    return this.used > 0 ? [...this.full, this.chunk.subarray(0, this.used)] : [...this.full];
  }

  /** Makes room for `bytes` more in `chunk`, starting a new chunk when the current one is full. */
  protected reserve(bytes: number): void {
    if (this.used + bytes <= this.chunk.length) return;
    if (this.used > 0) {
      this.full.push(this.chunk.subarray(0, this.used));
      this.fullBytes += this.used;
    }
    this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, bytes));
    this.used = 0;
  }
}
