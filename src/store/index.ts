/**
 * The snapshot store (S3-compatible buckets). Commands load it with `await import()` only when a
 * location is s3://, so the AWS SDK costs nothing to commands that never touch a bucket.
 */
export { openStoreSnapshot } from "./data-stream.js";
export { downloadSnapshot, privateStoreCopy, resolveRef } from "./download.js";
export { inspectStoreSnapshot } from "./inspect.js";
export { listStoreSnapshots, resolveLatest, verifyStoreSnapshots } from "./listing.js";
export { pruneStore } from "./prune.js";
export { classifyStoreError, createStoreClient } from "./s3-client.js";
export { createStoreSink, pushSnapshotFiles, refuseExistingSnapshot } from "./upload.js";
