import { createHash } from "node:crypto";
import { open, rm } from "node:fs/promises";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CompressStream } from "zstd-napi";
import { BooksnapError, OutputError } from "../errors.js";
import { createPrivateFile } from "../fs/private-file.js";
import { tempPathFor } from "../fs/temp-files.js";
import { type AgeEncryptionKeys, createEncryptStream } from "./encryption.js";
import type { SnapshotSink } from "./sink.js";

export interface DataFileStats {
  /** Compressed size on disk. */
  bytes: number;
  uncompressedBytes: number;
  lines: number;
  /** Hex SHA-256 of the compressed file. */
  sha256: string;
}

export interface DataWriterOptions {
  /** zstd level (1–19; default DEFAULT_COMPRESSION_LEVEL). */
  compressionLevel?: number;
  /** Test seam: wraps the file stream, e.g. to inject a failing disk. */
  wrapFileStream?: (stream: NodeJS.WritableStream) => NodeJS.WritableStream;
  /** age-encrypt the compressed stream (see age-stream.ts); size and SHA-256 are of the encrypted file. */
  encryption?: AgeEncryptionKeys;
}

/** zstd level of snapshot data files: zstd's default, what `zstd -3` uses (docs/benchmarks.md). */
export const DEFAULT_COMPRESSION_LEVEL = 3;

/** Complete NDJSON lines ("…\n" each) on their way into the data file. */
export interface DataChunk {
  bytes: Buffer;
  lines: number;
}

/** Counts what passes through on its way to the compressor. */
async function* counted(
  chunks: AsyncIterable<DataChunk>,
  stats: { lines: number; uncompressedBytes: number },
) {
  for await (const chunk of chunks) {
    stats.lines += chunk.lines;
    stats.uncompressedBytes += chunk.bytes.length;
    yield chunk.bytes;
  }
}

class HashingCounter extends Transform {
  readonly hash = createHash("sha256");
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

/** A complete data file under its temporary name, fsynced; the caller publishes it (or removes it). */
export interface WrittenDataFile extends DataFileStats {
  tempPath: string;
}

/** What the lines go through on their way out, file or store alike: zstd, then encryption if asked. */
function encodingStages(options: DataWriterOptions): NodeJS.ReadWriteStream[] {
  const stages: NodeJS.ReadWriteStream[] = [
    new CompressStream({
      compressionLevel: options.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL,
      checksumFlag: true,
    }),
  ];
  if (options.encryption) stages.push(createEncryptStream(options.encryption));
  return stages;
}

/**
 * Streams NDJSON lines through zstd into a new temporary file next to `finalPath` (mode 0600,
 * created exclusively), fsynced. It only gets its final name when the caller publishes it, so a
 * crash or a full disk never leaves a truncated file under the final name.
 */
export async function writeDataFile(
  finalPath: string,
  chunks: AsyncIterable<DataChunk>,
  options: DataWriterOptions = {},
): Promise<WrittenDataFile> {
  const tempPath = tempPathFor(finalPath);
  const counts = { lines: 0, uncompressedBytes: 0 };
  const hasher = new HashingCounter();
  // Created exclusively: if that fails, the name was not ours and is not removed below.
  const handle = await createPrivateFile(tempPath).catch((error: unknown) => {
    throw asOutputError(error, finalPath);
  });
  const file = handle.createWriteStream();
  try {
    const sink = options.wrapFileStream ? options.wrapFileStream(file) : file;
    await pipeline([
      Readable.from(counted(chunks, counts)),
      ...encodingStages(options),
      hasher,
      sink as NodeJS.WritableStream,
    ]);
    await fsyncPath(tempPath);
  } catch (error) {
    file.destroy();
    await rm(tempPath, { force: true }).catch(() => {});
    throw asOutputError(error, finalPath);
  }
  return {
    tempPath,
    bytes: hasher.bytes,
    uncompressedBytes: counts.uncompressedBytes,
    lines: counts.lines,
    sha256: hasher.hash.digest("hex"),
  };
}

/** The same stages as writeDataFile, into a store: nothing touches the local disk. */
export async function writeDataToSink(
  chunks: AsyncIterable<DataChunk>,
  options: DataWriterOptions,
  sink: SnapshotSink,
): Promise<DataFileStats> {
  const counts = { lines: 0, uncompressedBytes: 0 };
  const hasher = new HashingCounter();
  try {
    await pipeline([Readable.from(counted(chunks, counts)), ...encodingStages(options), hasher, sink.data]);
    const sha256 = hasher.hash.digest("hex");
    await sink.completeData({ bytes: hasher.bytes, sha256 });
    return { bytes: hasher.bytes, uncompressedBytes: counts.uncompressedBytes, lines: counts.lines, sha256 };
  } catch (error) {
    await sink.abort(error);
    throw error;
  }
}

/** Writes a small file under a new temporary name next to `finalPath` (0600, fsynced); returns that name. */
export async function writeTempFile(finalPath: string, contents: string): Promise<string> {
  const tempPath = tempPathFor(finalPath);
  const handle = await createPrivateFile(tempPath).catch((error: unknown) => {
    throw asOutputError(error, finalPath);
  });
  try {
    try {
      await handle.writeFile(contents, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    await rm(tempPath, { force: true }).catch(() => {});
    throw asOutputError(error, finalPath);
  }
  return tempPath;
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function asOutputError(error: unknown, path: string): unknown {
  if (error instanceof BooksnapError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code) && code !== "ERR_STREAM_PREMATURE_CLOSE") {
    return new OutputError("E_WRITE", `Could not write ${path}: ${(error as Error).message}`, {
      cause: error,
      hint: code === "ENOSPC" ? "The disk is full; free space or choose another --out." : undefined,
      details: { errno: code },
    });
  }
  return error;
}
