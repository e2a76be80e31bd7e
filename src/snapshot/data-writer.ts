import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CompressStream } from "zstd-napi";
import { OutputError } from "../errors.js";
import { type AgeEncryptionKeys, createEncryptStream } from "./encryption.js";

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

/**
 * Streams NDJSON lines through zstd into `finalPath`. The data goes to a temporary file
 * (mode 0600) that is fsynced and renamed only when complete, so a crash or a full disk
 * never leaves a truncated file under the final name.
 */
export async function writeDataFile(
  finalPath: string,
  chunks: AsyncIterable<DataChunk>,
  options: DataWriterOptions = {},
): Promise<DataFileStats> {
  const tempPath = `${finalPath}.tmp-${process.pid}-${Date.now()}`;
  const counts = { lines: 0, uncompressedBytes: 0 };
  const hasher = new HashingCounter();
  const compressor = new CompressStream({
    compressionLevel: options.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL,
    checksumFlag: true,
  });
  const file = createWriteStream(tempPath, { mode: 0o600, flags: "wx" });
  const sink = options.wrapFileStream ? options.wrapFileStream(file) : file;
  try {
    const stages: NodeJS.ReadWriteStream[] = [compressor];
    if (options.encryption) stages.push(createEncryptStream(options.encryption));
    await pipeline([
      Readable.from(counted(chunks, counts)),
      ...stages,
      hasher,
      sink as NodeJS.WritableStream,
    ]);
    await fsyncPath(tempPath);
    await rename(tempPath, finalPath);
  } catch (error) {
    file.destroy();
    await rm(tempPath, { force: true }).catch(() => {});
    throw asOutputError(error, finalPath);
  }
  return {
    bytes: hasher.bytes,
    uncompressedBytes: counts.uncompressedBytes,
    lines: counts.lines,
    sha256: hasher.hash.digest("hex"),
  };
}

/** Writes a small file atomically (temp name, fsync, rename), mode 0600. */
export async function writeFileAtomic(finalPath: string, contents: string): Promise<void> {
  const tempPath = `${finalPath}.tmp-${process.pid}-${Date.now()}`;
  try {
    const handle = await open(tempPath, "wx", 0o600);
    try {
      await handle.writeFile(contents, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tempPath, finalPath);
  } catch (error) {
    await rm(tempPath, { force: true }).catch(() => {});
    throw asOutputError(error, finalPath);
  }
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function asOutputError(error: unknown, path: string): unknown {
  if (error instanceof OutputError) return error;
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
