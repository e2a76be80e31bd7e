/**
 * Where an export's bytes go when they do not go to a local directory (a snapshot store).
 * The data writer streams into `data`, then calls `completeData`; the snapshot writer then calls
 * `putManifest` last, so the snapshot only becomes visible once everything it describes is stored.
 * Any failure on the way calls `abort`, which must leave nothing visible and nothing billed.
 */
export interface SnapshotSink {
  /** Receives the data file's bytes as they are produced (backpressure respected). */
  readonly data: NodeJS.WritableStream;
  /** After `data` finished: waits until the data is stored and checks the stored size. */
  completeData(written: { bytes: number; sha256: string }): Promise<void>;
  /** Stores the manifest (refusing to replace an existing one). */
  putManifest(text: string): Promise<void>;
  /** Removes whatever was stored so far; safe to call at any point, and more than once. */
  abort(reason: unknown): Promise<void>;
  /** Where the files went, for summaries: never holds a credential. */
  readonly location: { dataUrl: string; manifestUrl: string };
}
