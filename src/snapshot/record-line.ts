import { isUtf8 } from "node:buffer";
import { isModelName, type ModelName } from "./models.js";

/** What comes before a record's canonical JSON on its line (after it: "}"). */
const linePrefix = (model: ModelName) => `{"model":"${model}","record":`;

/** The NDJSON line for one record: {"model":"Book","record":{…canonical…}}. */
export function encodeRecordLine(model: ModelName, canonicalRecordJson: string): string {
  return `${linePrefix(model)}${canonicalRecordJson}}`;
}

/**
 * NDJSON lines for records already in canonical JSON ("<json>\n" each, as PostgreSQL renders
 * them for export): each wrapped as encodeRecordLine does, byte for byte.
 */
export function frameCanonicalLines(model: ModelName, canonical: Buffer, count: number): Buffer {
  const prefix = Buffer.from(linePrefix(model), "utf8");
  const out = Buffer.allocUnsafe(canonical.length + count * (prefix.length + 1));
  let from = 0;
  let to = 0;
  while (from < canonical.length) {
    const end = canonical.indexOf(NEWLINE, from);
    to += prefix.copy(out, to);
    to += canonical.copy(out, to, from, end);
    out[to++] = CLOSE_BRACE;
    out[to++] = NEWLINE;
    from = end + 1;
  }
  if (to !== out.length) throw new Error(`expected ${count} canonical lines for ${model}`);
  return out;
}

const NEWLINE = 0x0a;
const CLOSE_BRACE = 0x7d;

export type DecodedLine =
  | { ok: true; model: ModelName; record: Record<string, unknown> }
  | { ok: false; reason: string; model?: string };

/** Decodes one data line; never throws. Malformed lines come back with a reason for the dead-letter file. */
export function decodeRecordLine(bytes: Buffer): DecodedLine {
  // isUtf8 (simdutf) + toString: the same strictness as a fatal TextDecoder, at a fraction of
  // its cost; like TextDecoder, a leading byte-order mark is dropped.
  if (!isUtf8(bytes)) return { ok: false, reason: "invalid UTF-8" };
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const text = bytes.toString("utf8", bom ? 3 : 0);
  if (text.includes("\u0000")) return { ok: false, reason: "NUL character in line" };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `malformed JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, reason: "line is not a JSON object" };
  }
  const keys = Object.keys(value);
  const line = value as { model?: unknown; record?: unknown };
  if (keys.length !== 2 || !keys.includes("model") || !keys.includes("record")) {
    return { ok: false, reason: 'line must have exactly the keys "model" and "record"' };
  }
  if (!isModelName(line.model))
    return { ok: false, reason: `unknown model tag ${JSON.stringify(line.model)}` };
  if (line.record === null || typeof line.record !== "object" || Array.isArray(line.record)) {
    return { ok: false, reason: "record is not a JSON object", model: line.model };
  }
  return { ok: true, model: line.model, record: line.record as Record<string, unknown> };
}
