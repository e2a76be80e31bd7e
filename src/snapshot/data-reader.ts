import type { Readable } from "node:stream";
import { isBooksnapError, SnapshotIntegrityError } from "../errors.js";
import { type DataSource, localDataFile } from "./data-source.js";
import { createDecryptStream, type DecryptionKeys, type SnapshotEncryption } from "./encryption.js";
import { decompressChunks } from "./zstd-chunks.js";

/** One physical line of the data file, before JSON decoding. */
export interface RawLine {
  /** 1-based line number in the decompressed data. */
  lineNumber: number;
  bytes: Buffer;
}

export interface DataReaderOptions {
  /** Lines longer than this are reported, not buffered without bound. */
  maxLineBytes?: number;
  /** Stop once decompressed output exceeds this (the manifest's uncompressedBytes). */
  maxUncompressedBytes?: number;
  /** The file is encrypted as the manifest's `data.encryption` says: decrypt with these keys before decompressing. */
  decryption?: { encryption: SnapshotEncryption; keys: DecryptionKeys };
}

/** Default ceiling for one record; the largest realistic book record is a few tens of KiB. */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/**
 * Streams the decompressed lines of a data file (a path: a regular file only, E_NOT_REGULAR_FILE)
 * or of any DataSource (a store object streams through here without a local copy).
 * Memory stays bounded by the longest accepted line plus one decompression buffer, whatever
 * the compression ratio: the file is decompressed only as fast as lines are taken, and an
 * over-long line is yielded truncated with `overLong`, never buffered whole.
 */
export async function* readDataLines(
  from: string | DataSource,
  options: DataReaderOptions = {},
): AsyncGenerator<RawLine & { overLong?: boolean }> {
  const maxLine = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const maxTotal = options.maxUncompressedBytes ?? Number.POSITIVE_INFINITY;
  const source = await (typeof from === "string" ? localDataFile(from) : from).open();
  const decryptor = options.decryption
    ? createDecryptStream(options.decryption.encryption, options.decryption.keys)
    : undefined;
  if (decryptor) {
    source.on("error", (error) => decryptor.destroy(error));
    source.pipe(decryptor);
  }
  // Not destroyed when decompression stops early: a streamed source may still be read to its end.
  const compressed = (decryptor ?? source.iterator({ destroyOnReturn: false })) as AsyncIterable<Buffer>;

  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overLong = false;
  let lineNumber = 0;
  let total = 0;
  try {
    for await (const chunk of decompressChunks(compressed)) {
      total += chunk.length;
      if (total > maxTotal) {
        throw new SnapshotIntegrityError(
          "E_DATA_TOO_LARGE",
          `Data file decompresses to more than the ${maxTotal} bytes its manifest declares`,
          { hint: "The file was altered or is a decompression bomb; do not use it." },
        );
      }
      let start = 0;
      for (;;) {
        const newline = chunk.indexOf(10, start);
        const end = newline === -1 ? chunk.length : newline;
        if (!overLong) {
          const room = maxLine - pendingBytes;
          const piece = chunk.subarray(start, Math.min(end, start + Math.max(room, 0)));
          pending.push(piece);
          pendingBytes += piece.length;
          if (end - start > room) overLong = true;
        }
        if (newline === -1) break;
        lineNumber += 1;
        const bytes = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
        yield overLong ? { lineNumber, bytes, overLong } : { lineNumber, bytes };
        pending = [];
        pendingBytes = 0;
        overLong = false;
        start = newline + 1;
      }
    }
  } catch (error) {
    // Integrity, store and interrupt errors of the source keep their own code.
    if (isBooksnapError(error)) throw error;
    const undecodable = new SnapshotIntegrityError(
      "E_DATA_DECODE",
      `Cannot decompress the data file: ${(error as Error).message}`,
      {
        cause: error,
        hint: "The file is truncated or corrupted; run 'booksnap verify' and get a fresh copy.",
        details: { afterLine: lineNumber },
      },
    );
    // A streamed source is checked only at its end: read on to tell an altered object
    // (E_DATA_SIZE / E_DATA_SHA256) from a snapshot that was written broken.
    if (typeof from !== "string" && !from.checkedBeforeReading)
      throw (await mismatchAfter(source)) ?? undecodable;
    throw undecodable;
  } finally {
    source.destroy();
    decryptor?.destroy();
  }
  if (pendingBytes > 0 || overLong) {
    throw new SnapshotIntegrityError(
      "E_DATA_TRUNCATED",
      `Data file ends in the middle of line ${lineNumber + 1}`,
      {
        hint: "The file is truncated; get a fresh copy.",
      },
    );
  }
}

/** Reads what is left of a streamed source only for its end-of-stream check: that check's error, if any. */
async function mismatchAfter(source: Readable): Promise<Error | undefined> {
  if (source.errored) return isBooksnapError(source.errored) ? source.errored : undefined;
  source.unpipe();
  try {
    for await (const _chunk of source);
    return undefined;
  } catch (error) {
    return isBooksnapError(error) ? error : undefined;
  }
}
