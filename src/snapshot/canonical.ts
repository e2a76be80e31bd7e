import { createHash, type Hash } from "node:crypto";
import type { ModelSpec, SnapshotRecord } from "./models.js";

/**
 * The canonical JSON text of a record: the model's fields in schema order, nothing else.
 * Export writes exactly this text into the snapshot, so digests computed from the file,
 * from the source rows and from the imported rows agree byte for byte.
 */
export function canonicalJson(spec: ModelSpec, record: Readonly<Record<string, unknown>>): string {
  const ordered: SnapshotRecord = {};
  for (const field of spec.fields) {
    const value = record[field.name];
    ordered[field.name] = value === undefined ? null : (value as SnapshotRecord[string]);
  }
  return JSON.stringify(ordered);
}

/**
 * Per-model content digest: SHA-256 over each record's canonical JSON followed by "\n",
 * in snapshot order (ascending source id). Recorded as "sha256:<hex>".
 */
export class ModelDigest {
  private readonly hash: Hash = createHash("sha256");
  count = 0;

  addCanonical(json: string): void {
    this.hash.update(json);
    this.hash.update("\n");
    this.count += 1;
  }

  /** Records already canonical: "<json>\n" each, `count` of them. */
  addCanonicalLines(lines: Buffer, count: number): void {
    this.hash.update(lines);
    this.count += count;
  }

  digest(): string {
    return `sha256:${this.hash.digest("hex")}`;
  }
}

export const sha256Hex = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");

/** JSON with object keys sorted at every level: the form a manifest checksum is taken over. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
