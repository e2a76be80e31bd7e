import { createHash, type Hash } from "node:crypto";
import type { SchemaDescription } from "../schema/description.js";
import { schemaFingerprint } from "../schema/fingerprint.js";
import { TOOL_VERSION } from "../version.js";
import type { DataChunk, DataFileStats } from "./data-writer.js";
import {
  FORMAT_VERSION,
  type SnapshotManifestV2,
  signManifest,
  type UnsignedManifestV2,
} from "./manifest.js";
import { type SnapshotPaths, snapshotPaths } from "./paths.js";
import { frameRowLines } from "./row-line.js";
import { manifestDataSection, type SnapshotWriteOptions, writeAndPublish } from "./snapshot-writer.js";

/**
 * Rows of one table as format-2 row JSON, "<row>\n" each, in order: PostgreSQL's COPY output as
 * it arrived, or rows Node rendered (redacted tables).
 */
export interface RowChunk {
  table: string;
  rows: Buffer;
  count: number;
}

/** What the manifest says besides counts, digests and the data file. */
export interface Format2Description {
  createdAt: Date;
  source: SnapshotManifestV2["source"];
  schema: SchemaDescription;
  filters: SnapshotManifestV2["filters"];
  redaction: SnapshotManifestV2["redaction"];
}

export interface WrittenFormat2Snapshot {
  paths: SnapshotPaths;
  manifest: SnapshotManifestV2;
}

/** Per-table SHA-256 over each row's JSON plus "\n", as written, in file order. */
class TableDigest {
  private readonly hash: Hash = createHash("sha256");
  count = 0;
  add(rows: Buffer, count: number): void {
    this.hash.update(rows);
    this.count += count;
  }
  digest(): string {
    return `sha256:${this.hash.digest("hex")}`;
  }
}

/**
 * Writes a format-2 snapshot: `<name>.ndjson.zst` from the row chunks (tables in the
 * description's order, each table's chunks consecutive), then the manifest with per-table counts
 * and digests, published data first and manifest last (see writeSnapshot for the guarantees,
 * which are the same).
 */
export async function writeFormat2Snapshot(
  dir: string,
  name: string,
  chunks: AsyncIterable<RowChunk>,
  description: Format2Description,
  writerOptions: SnapshotWriteOptions = {},
): Promise<WrittenFormat2Snapshot> {
  const paths = snapshotPaths(dir, name);
  const order = description.schema.tables.map((t) => t.name);
  const digests = new Map(order.map((t) => [t, new TableDigest()]));
  async function* lines(): AsyncGenerator<DataChunk> {
    let position = 0;
    for await (const chunk of chunks) {
      const at = order.indexOf(chunk.table, position);
      if (at < 0) throw new Error(`BUG: rows of ${chunk.table} out of the description's table order`);
      position = at;
      if (chunk.count === 0) continue;
      (digests.get(chunk.table) as TableDigest).add(chunk.rows, chunk.count);
      yield { bytes: frameRowLines(chunk.table, chunk.rows, chunk.count), lines: chunk.count };
    }
  }
  const describe = (data: DataFileStats): SnapshotManifestV2 => {
    const unsigned: UnsignedManifestV2 = {
      formatVersion: FORMAT_VERSION,
      tool: { name: "booksnap", version: TOOL_VERSION },
      createdAt: description.createdAt.toISOString(),
      source: description.source,
      schema: { fingerprint: schemaFingerprint(description.schema), description: description.schema },
      tables: Object.fromEntries(
        order.map((t) => {
          const d = digests.get(t) as TableDigest;
          return [t, { count: d.count, digest: d.digest() }];
        }),
      ),
      filters: description.filters,
      redaction: description.redaction,
      data: manifestDataSection(paths, data, writerOptions),
    };
    return signManifest(unsigned);
  };
  const manifest = await writeAndPublish(paths, lines(), writerOptions, describe);
  return { paths, manifest };
}
