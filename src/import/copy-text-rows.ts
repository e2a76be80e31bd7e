import { ByteChunks } from "../db/byte-chunks.js";

const TAB = 0x09;
const NEWLINE = 0x0a;
/** COPY text format's escapes: backslash, and the delimiters it would otherwise read. */
const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/**
 * Rows in COPY's text format, written straight into large buffers: each value is PostgreSQL's
 * text input for its column (values.ts copyText), escaped; NULL is \N. One class for every
 * column type: the text input is what PostgreSQL parses for any type, arrays included.
 */
export class CopyTextRows extends ByteChunks {
  /** Appends one row: the given values (text input or null), tab-separated. */
  addRow(values: ReadonlyArray<string | null>): void {
    for (let i = 0; i < values.length; i++) {
      if (i > 0) this.byte(TAB);
      const value = values[i];
      if (value === null || value === undefined) {
        this.ascii("\\N");
        continue;
      }
      const escaped = NEEDS_ESCAPE.test(value)
        ? value.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c] as string)
        : value;
      // UTF-8 takes at most 3 bytes per UTF-16 code unit.
      this.reserve(escaped.length * 3);
      this.used += this.chunk.write(escaped, this.used);
    }
    this.byte(NEWLINE);
    this.rows += 1;
  }

  chunks(): Buffer[] {
    return this.views();
  }

  private ascii(text: string): void {
    this.reserve(text.length);
    this.used += this.chunk.write(text, this.used, "latin1");
  }

  private byte(value: number): void {
    this.reserve(1);
    this.chunk[this.used++] = value;
  }
}
