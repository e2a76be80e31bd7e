import type { FieldSpec } from "../snapshot/models.js";
import { realInstant } from "../snapshot/timestamp.js";
import { ByteChunks } from "./byte-chunks.js";

/**
 * Rows in PostgreSQL's binary COPY format, written straight into large buffers. PostgreSQL
 * reads it with less work than CSV (no quote scanning, no text-to-integer or timestamp parsing).
 * measured: COPY of 100k book rows into an unlogged table, CSV 4.7 s vs binary 3.1-3.6 s.
 *
 * Column types are those of the staging tables: integer for "int" fields (and the extra
 * values), timestamp(3) for "timestamp", text[] for "textArray", text for everything else.
 */

/** "PGCOPY\n\377\r\n\0", flags 0, header extension length 0. */
const HEADER = Buffer.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
]);
/** Field count -1: end of data. */
const TRAILER = Buffer.from([0xff, 0xff]);
/** pg_type oid of text: the element type of a text[] value. */
const TEXT_OID = 25;
/** PostgreSQL timestamps count microseconds from 2000-01-01 00:00:00: 10957 days after 1970-01-01. */
const PG_EPOCH_DAYS = 10_957;

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil), year >= 0. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * Microseconds since the PostgreSQL epoch of a canonical timestamp ("YYYY-MM-DDTHH:MM:SS.mmmZ"),
 * or undefined unless it is a real instant (see realInstant; validation refuses the others).
 */
export function timestampMicros(iso: string): bigint | undefined {
  const parts = realInstant(iso);
  if (!parts) return undefined;
  const { year, month, day, hour, minute, second, milli } = parts;
  const days = daysFromCivil(year, month, day) - PG_EPOCH_DAYS;
  // At most ~2.5e14 ms: exact in a double; microseconds are not, hence the bigint.
  const ms = ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + milli;
  return BigInt(ms) * 1000n;
}

export class CopyBinaryRows extends ByteChunks {
  /** Timestamps of the row being added (checked before anything is written). */
  private readonly micros: bigint[] = [];
  /**
   * Appends one row: the `extra` integers, then the record's fields. Returns false, writing
   * nothing, when a timestamp is not a real instant (see timestampMicros; validation refuses
   * those records before they get here).
   */
  addRow(
    fields: readonly FieldSpec[],
    record: Readonly<Record<string, unknown>>,
    extra: readonly number[],
  ): boolean {
    this.micros.length = 0;
    for (const field of fields) {
      const value = record[field.name];
      if (field.type.kind !== "timestamp" || value === null || value === undefined) continue;
      const micros = timestampMicros(value as string);
      if (micros === undefined) return false;
      this.micros.push(micros);
    }
    this.reserve(2);
    this.chunk.writeInt16BE(extra.length + fields.length, this.used);
    this.used += 2;
    for (const value of extra) this.int4(value);
    let timestamp = 0;
    for (const field of fields) {
      const value = record[field.name];
      if (value === null || value === undefined) {
        this.reserve(4);
        this.chunk.writeInt32BE(-1, this.used);
        this.used += 4;
        continue;
      }
      switch (field.type.kind) {
        case "int":
          this.int4(value as number);
          break;
        case "timestamp":
          this.reserve(12);
          this.chunk.writeInt32BE(8, this.used);
          this.chunk.writeBigInt64BE(this.micros[timestamp++] as bigint, this.used + 4);
          this.used += 12;
          break;
        case "textArray":
          this.textArray(value as readonly string[]);
          break;
        default:
          this.text(String(value));
      }
    }
    this.rows += 1;
    return true;
  }

  /** Header, rows and trailer, as views of the chunks (not copies). */
  chunks(): Buffer[] {
    return [HEADER, ...this.views(), TRAILER];
  }

  private int4(value: number): void {
    this.reserve(8);
    this.chunk.writeInt32BE(4, this.used);
    this.chunk.writeInt32BE(value, this.used + 4);
    this.used += 8;
  }

  private text(value: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    this.reserve(4 + value.length * 3);
    const written = this.chunk.write(value, this.used + 4);
    this.chunk.writeInt32BE(written, this.used);
    this.used += 4 + written;
  }

  /** text[] in array_send's layout: one dimension (none when empty), no NULLs, text elements. */
  private textArray(values: readonly string[]): void {
    let bound = 4 + 12 + (values.length > 0 ? 8 : 0);
    for (const v of values) bound += 4 + v.length * 3;
    this.reserve(bound);
    const start = this.used;
    let at = start + 4;
    at = this.chunk.writeInt32BE(values.length > 0 ? 1 : 0, at);
    at = this.chunk.writeInt32BE(0, at);
    at = this.chunk.writeInt32BE(TEXT_OID, at);
    if (values.length > 0) {
      at = this.chunk.writeInt32BE(values.length, at);
      at = this.chunk.writeInt32BE(1, at);
    }
    for (const v of values) {
      const written = this.chunk.write(v, at + 4);
      this.chunk.writeInt32BE(written, at);
      at += 4 + written;
    }
    this.chunk.writeInt32BE(at - start - 4, start);
    this.used = at;
  }
}
