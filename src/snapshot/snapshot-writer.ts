import { mkdir, rm } from "node:fs/promises";
import { expectedSchema, schemaFingerprint } from "../db/schema-inspect.js";
import { UsageError } from "../errors.js";
import { publishReplacing, publishWithoutReplacing } from "../fs/private-file.js";
import { TOOL_VERSION } from "../version.js";
import { canonicalJson, ModelDigest } from "./canonical.js";
import {
  asOutputError,
  type DataChunk,
  type DataFileStats,
  type DataWriterOptions,
  writeDataFile,
  writeDataToSink,
  writeTempFile,
} from "./data-writer.js";
import { describeEncryption } from "./encryption.js";
import {
  type SnapshotManifestV1 as SnapshotManifest,
  signManifest,
  type UnsignedManifestV1,
} from "./manifest.js";
import { MODEL_NAMES, type ModelName, modelSpec } from "./models.js";
import { type SnapshotPaths, snapshotPaths } from "./paths.js";
import { encodeRecordLine, frameCanonicalLines } from "./record-line.js";
import type { SnapshotSink } from "./sink.js";

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

export interface SnapshotWriteOptions extends DataWriterOptions {
  /** Replace a snapshot of the same name (--force). Otherwise an existing one is never touched. */
  replace?: boolean;
  /** Stream the data (and then the manifest) to a store instead of the local directory. */
  sink?: SnapshotSink;
}

export interface WrittenSnapshot {
  paths: SnapshotPaths;
  manifest: SnapshotManifest;
}

/**
 * Writes `<name>.ndjson.zst` from the records, then `<name>.manifest.json` with counts,
 * digests and checksums, both under temporary names; then publishes them, the manifest last, so
 * a snapshot only looks complete once everything it describes is on disk. Without `replace`, a
 * snapshot of the same name that appeared meanwhile (another export) is never replaced: this
 * one fails with E_SNAPSHOT_EXISTS and leaves nothing behind.
 */
export async function writeSnapshot(
  dir: string,
  name: string,
  records: AsyncIterable<OutgoingRecords>,
  description: SnapshotDescription,
  writerOptions: SnapshotWriteOptions = {},
): Promise<WrittenSnapshot> {
  const paths = snapshotPaths(dir, name);
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
  const describe = (data: DataFileStats): SnapshotManifest => {
    const schema = expectedSchema();
    const unsigned: UnsignedManifestV1 = {
      formatVersion: 1,
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
      data: manifestDataSection(paths, data, writerOptions),
    };
    return signManifest(unsigned);
  };
  const manifest = await writeAndPublish(paths, chunks(), writerOptions, describe);
  return { paths, manifest };
}

/** The manifest's `data` section (both formats): the data file, its sizes, checksum and encryption. */
export function manifestDataSection(
  paths: SnapshotPaths,
  data: DataFileStats,
  writerOptions: SnapshotWriteOptions,
) {
  return {
    file: paths.dataPath.slice(paths.dir.length + 1),
    encoding: "ndjson" as const,
    compression: "zstd" as const,
    bytes: data.bytes,
    uncompressedBytes: data.uncompressedBytes,
    lines: data.lines,
    sha256: data.sha256,
    ...(writerOptions.encryption ? { encryption: describeEncryption(writerOptions.encryption) } : {}),
  };
}

/**
 * Writes the data (to the store sink, or a temp file next to its final name), then the manifest
 * `describe` makes of it, and publishes them data first, manifest last; a failure leaves nothing
 * behind (the sink's upload aborted, the temp files removed). Both formats' writers end here.
 */
export async function writeAndPublish<M>(
  paths: SnapshotPaths,
  chunks: AsyncIterable<DataChunk>,
  writerOptions: SnapshotWriteOptions,
  describe: (data: DataFileStats) => M,
): Promise<M> {
  const text = (manifest: M) => `${JSON.stringify(manifest, null, 2)}\n`;
  const sink = writerOptions.sink;
  if (sink) {
    const manifest = describe(await writeDataToSink(chunks, writerOptions, sink));
    try {
      await sink.putManifest(text(manifest));
    } catch (error) {
      await sink.abort(error);
      throw error;
    }
    return manifest;
  }
  await mkdir(paths.dir, { recursive: true });
  const data = await writeDataFile(paths.dataPath, chunks, writerOptions);
  const manifest = describe(data);
  const temps = { data: data.tempPath, manifest: "" };
  try {
    temps.manifest = await writeTempFile(paths.manifestPath, text(manifest));
    await publishSnapshot(paths, temps, writerOptions.replace ?? false);
  } catch (error) {
    await rm(temps.data, { force: true }).catch(() => {});
    if (temps.manifest) await rm(temps.manifest, { force: true }).catch(() => {});
    throw asOutputError(error, paths.manifestPath);
  }
  return manifest;
}

/** Data file first, manifest last. Without `replace`, a name already taken is left to its owner. */
export async function publishSnapshot(
  paths: SnapshotPaths,
  temps: { data: string; manifest: string },
  replace: boolean,
): Promise<void> {
  if (replace) {
    await publishReplacing(temps.data, paths.dataPath);
    await publishReplacing(temps.manifest, paths.manifestPath);
    return;
  }
  if (!(await publishWithoutReplacing(temps.data, paths.dataPath))) throw snapshotExistsError(paths);
  if (!(await publishWithoutReplacing(temps.manifest, paths.manifestPath))) {
    // Our data file got its name (link succeeded), so it is ours to take back.
    await rm(paths.dataPath, { force: true });
    throw snapshotExistsError(paths);
  }
}

/** Another snapshot took the name: also what the export's early check says. */
export function snapshotExistsError(paths: SnapshotPaths): UsageError {
  return new UsageError(`A snapshot named '${paths.name}' already exists in ${paths.dir}`, {
    code: "E_SNAPSHOT_EXISTS",
    hint: "Choose another --name, or pass --force to replace it.",
    details: { path: paths.manifestPath },
  });
}
