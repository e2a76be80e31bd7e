import { mkdir, rm } from "node:fs/promises";
import { expectedSchema, schemaFingerprint } from "../db/schema-inspect.js";
import { TOOL_VERSION } from "../version.js";
import { canonicalJson, ModelDigest } from "./canonical.js";
import { describeEncryption } from "./crypto.js";
import { type DataWriterOptions, writeDataFile, writeFileAtomic } from "./data-writer.js";
import { FORMAT_VERSION, type SnapshotManifest, signManifest, type UnsignedManifest } from "./manifest.js";
import { MODEL_NAMES, type ModelName, modelSpec } from "./models.js";
import { type SnapshotPaths, snapshotPaths } from "./paths.js";
import { encodeRecordLine } from "./record-line.js";

/** A record on its way into a snapshot. Records must come in model order, ascending id within a model. */
export interface OutgoingRecord {
  model: ModelName;
  record: Readonly<Record<string, unknown>>;
}

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
  records: AsyncIterable<OutgoingRecord>,
  description: SnapshotDescription,
  writerOptions: DataWriterOptions = {},
): Promise<WrittenSnapshot> {
  const paths = snapshotPaths(dir, name);
  await mkdir(paths.dir, { recursive: true });
  const digests = new Map<ModelName, ModelDigest>(MODEL_NAMES.map((m) => [m, new ModelDigest()]));
  async function* lines(): AsyncGenerator<string> {
    for await (const { model, record } of records) {
      const json = canonicalJson(modelSpec(model), record);
      (digests.get(model) as ModelDigest).addCanonical(json);
      yield encodeRecordLine(model, json);
    }
  }
  const data = await writeDataFile(paths.dataPath, lines(), writerOptions);
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
