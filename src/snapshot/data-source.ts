import type { Readable } from "node:stream";
import { SnapshotIntegrityError } from "../errors.js";
import type { SnapshotManifest } from "./manifest.js";
import { openRegularFile } from "./regular-file.js";

/**
 * Where a snapshot's data bytes come from: a local file, or an object streamed from a store.
 * The reader and the import only open it; how the bytes are checked against the manifest is
 * the source's business.
 */
export interface DataSource {
  /** The data file's path or s3:// URL, for messages. */
  readonly location: string;
  /**
   * True when `precheck` verifies the whole file (size and SHA-256) before anything is read.
   * False for a stream: its bytes are checked as they pass, and the stream fails before it
   * ends (E_DATA_SIZE / E_DATA_SHA256) when they are not the manifest's.
   */
  readonly checkedBeforeReading: boolean;
  /** Checks what can be checked before reading (a local file: kind, size and SHA-256). */
  precheck(): Promise<void>;
  /** The data bytes from the first one; every call starts again (a resumed import re-reads them). */
  open(): Promise<Readable>;
}

/** A snapshot ready to be read: its checked manifest and where its data bytes come from. */
export interface SnapshotSource {
  /** The snapshot's name (<name>.manifest.json). */
  name: string;
  /** The manifest's path or s3:// URL, for messages and the summary. */
  manifestLocation: string;
  manifest: SnapshotManifest;
  data: DataSource;
  /** Default dead-letter file (<name>.rejects.ndjson next to a local snapshot); none for a store. */
  rejectsPath?: string;
}

/**
 * The data file next to a local manifest: `precheck` is `check` (the full-file size and SHA-256
 * check, before connecting to any database), `open` a read stream of the regular file.
 */
export function localDataFile(path: string, check: () => Promise<void> = async () => {}): DataSource {
  return {
    location: path,
    checkedBeforeReading: true,
    precheck: check,
    open: async () => {
      const { handle } = await openRegularFile(path, "data file").catch((error: unknown) => {
        if (error instanceof SnapshotIntegrityError) throw error;
        throw new SnapshotIntegrityError("E_DATA_MISSING", `Cannot open the data file ${path}`, {
          cause: error,
        });
      });
      // autoClose: destroying the stream (the reader always does) closes the descriptor.
      return handle.createReadStream({ highWaterMark: 256 * 1024 });
    },
  };
}
