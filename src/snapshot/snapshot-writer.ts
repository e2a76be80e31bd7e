import { mkdir, rm } from "node:fs/promises";
import { expectedSchema, schemaFingerprint } from "../db/schema-inspect.js";
import { TOOL_VERSION } from "../version.js";
import { canonicalJson, ModelDigest } from "./canonical.js";
import { type DataChunk, type DataWriterOptions, writeDataFile, writeFileAtomic } from "./data-writer.js";
import { describeEncryption } from "./encryption.js";
import { FORMAT_VERSION, type SnapshotManifest, signManifest, type UnsignedManifest } from "./manifest.js";
import { MODEL_NAMES, type ModelName, modelSpec } from "./models.js";
import { type SnapshotPaths, snapshotPaths } from "./paths.js";
import { encodeRecordLine, frameCanonicalLines } from "./record-line.js";

/** A record on its way into a snapshot. Records must come in model order, ascending id within a model. */
export interface OutgoingRecord {
  model: ModelName;
  record: Readonly<Record<string, unknown>>;
}

/** Records of one model already rendered as canonical JSON ("<json>\n" each), in order. */
export interface RenderedRecords {
  model: ModelName;
  canonical: Buffer;
  count: number;
}

export type OutgoingRecords = OutgoingRecord | RenderedRecords;

/** Record lines are gathered into chunks of about this size: fewer, larger writes to the compressor. */
const CHUNK_CHARS = 256 * 1024;

export interface SnapshotDescription {
  createdAt: Date;
  source: SnapshotManifest["source"];
  filters: SnapshotManifest["filters"];
  redaction: SnapshotManifest["redaction"];
}

export interface WrittenSnapshot {
  paths: SnapshotPaths;
  manifest: SnapshotManifest;
}

/**
 * Writes `<name>.ndjson.zst` from the records, then `<name>.manifest.json` with counts,
 * digests and checksums. The manifest is written last, so a snapshot only looks complete
 * once everything it describes is on disk.
 */
export async function writeSnapshot(
  dir: string,
  name: string,
  records: AsyncIterable<OutgoingRecords>,
  description: SnapshotDescription,
  writerOptions: DataWriterOptions = {},
): Promise<WrittenSnapshot> {
  const paths = snapshotPaths(dir, name);
  await mkdir(paths.dir, { recursive: true });
  const digests = new Map<ModelName, ModelDigest>(MODEL_NAMES.map((m) => [m, new ModelDigest()]));
  async function* chunks(): AsyncGenerator<DataChunk> {
    let pending: string[] = [];
    let pendingChars = 0;
    const flush = (): DataChunk => {
      const chunk = { bytes: Buffer.from(pending.join(""), "utf8"), lines: pending.length / 2 };
      pending = [];
      pendingChars = 0;
      return chunk;
    };
    for await (const item of records) {
      const digest = digests.get(item.model) as ModelDigest;
      if ("canonical" in item) {
        if (pending.length > 0) yield flush();
        digest.addCanonicalLines(item.canonical, item.count);
        yield { bytes: frameCanonicalLines(item.model, item.canonical, item.count), lines: item.count };
        continue;
      }
      const json = canonicalJson(modelSpec(item.model), item.record);
      digest.addCanonical(json);
      const line = encodeRecordLine(item.model, json);
      pending.push(line, "\n");
      pendingChars += line.length + 1;
      if (pendingChars >= CHUNK_CHARS) yield flush();
    }
    if (pending.length > 0) yield flush();
  }
  const data = await writeDataFile(paths.dataPath, chunks(), writerOptions);
  const schema = expectedSchema();
  const unsigned: UnsignedManifest = {
    formatVersion: FORMAT_VERSION,
    tool: { name: "booksnap", version: TOOL_VERSION },
    createdAt: description.createdAt.toISOString(),
    source: description.source,
    filters: description.filters,
    redaction: description.redaction,
    schema: { fingerprint: schemaFingerprint(schema), models: schema },
    models: Object.fromEntries(
      MODEL_NAMES.map((m) => {
        const d = digests.get(m) as ModelDigest;
        return [m, { count: d.count, digest: d.digest() }];
      }),
    ) as SnapshotManifest["models"],
    data: {
      file: paths.dataPath.slice(paths.dir.length + 1),
      encoding: "ndjson",
      compression: "zstd",
      bytes: data.bytes,
      uncompressedBytes: data.uncompressedBytes,
      lines: data.lines,
      sha256: data.sha256,
      ...(writerOptions.encryption ? { encryption: describeEncryption(writerOptions.encryption) } : {}),
    },
  };
  const manifest = signManifest(unsigned);
  try {
    await writeFileAtomic(paths.manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  } catch (error) {
    await rm(paths.dataPath, { force: true });
    throw error;
  }
  return { paths, manifest };
}
