import { createRequire } from "node:module";

// The native binding is a CommonJS .node module: Node cannot name its exports for an ESM import.
const zstd = createRequire(import.meta.url)("zstd-napi/binding.js") as typeof import("zstd-napi/binding.js");

/** zstd window limit (2^27 = 128 MiB, zstd's default maximum): bounds decoder memory. */
const WINDOW_LOG_MAX = 27;
/**
 * Output buffer of one decompression step: the most one step produces (and the most memory one
 * outstanding step holds). 8 × zstd's recommended ZSTD_DStreamOutSize (128 KiB): each step is a
 * native call, a buffer allocation and a yield through the async generators to the line splitter,
 * and at 128 KiB those cost a visible share of import's staging time; 1 MiB keeps memory bounded.
 */
const OUTPUT_BYTES = 8 * zstd.dStreamOutSize();

/**
 * Decompresses a zstd stream one output buffer at a time, only when the consumer asks for more.
 * zstd-napi's DecompressStream inflates each whole input chunk at once and ignores backpressure,
 * so 256 KiB of highly repetitive input became hundreds of MiB in memory before a line was read
 * (measured: verify of a 217 KB file holding 615 MB peaked at 1.4 GB RSS). Here at most one
 * OUTPUT_BYTES buffer is outstanding, whatever the compression ratio.
 * Throws when the input ends inside a frame (a truncated file).
 */
export async function* decompressChunks(compressed: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const context = new zstd.DCtx();
  context.setParameter(zstd.DParameter.windowLogMax, WINDOW_LOG_MAX);
  let inFrame = false;
  for await (const input of compressed) {
    let rest = input;
    for (;;) {
      const output = Buffer.allocUnsafe(OUTPUT_BYTES);
      const [remaining, produced, consumed] = context.decompressStream(output, rest);
      rest = rest.subarray(consumed);
      inFrame = remaining !== 0;
      if (produced > 0) yield output.subarray(0, produced);
      // Done with this input once it is consumed and the decoder has nothing left to flush.
      if (rest.length === 0 && (produced < output.length || remaining === 0)) break;
    }
  }
  if (inFrame) throw new Error("the data ends in the middle of a zstd frame");
}
