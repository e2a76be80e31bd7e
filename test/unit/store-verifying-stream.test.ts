import { createHash } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { verifyingStream } from "../../src/store/data-stream.js";

/** Pipes `chunks` through the verifier; returns the bytes that came out and the error, if any. */
async function pass(chunks: Buffer[], expected: { bytes: number; sha256: string }) {
  let passed = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      passed += chunk.length;
      callback();
    },
  });
  const error = await pipeline(
    Readable.from(chunks),
    verifyingStream("s3://b/x.ndjson.zst", expected),
    sink,
  ).then(
    () => undefined,
    (e: unknown) => e as { code?: string },
  );
  return { passed, error };
}

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describe("the store data stream's check", () => {
  const data = Buffer.from("0123456789");

  it("passes the declared bytes through", async () => {
    const { passed, error } = await pass([data.subarray(0, 4), data.subarray(4)], {
      bytes: 10,
      sha256: sha(data),
    });
    expect(error).toBeUndefined();
    expect(passed).toBe(10);
  });

  it("stops as soon as more bytes arrive than declared, without passing them on", async () => {
    const endless = Array.from({ length: 1000 }, () => Buffer.alloc(1024, 0x61));
    const { passed, error } = await pass(endless, { bytes: 10_000, sha256: sha(data) });
    expect(error?.code).toBe("E_DATA_SIZE");
    expect(passed).toBeLessThanOrEqual(10_000);
  });

  it("fails at the end on a short object or other bytes of the right size", async () => {
    expect((await pass([data.subarray(0, 9)], { bytes: 10, sha256: sha(data) })).error?.code).toBe(
      "E_DATA_SIZE",
    );
    expect((await pass([Buffer.from("0123456780")], { bytes: 10, sha256: sha(data) })).error?.code).toBe(
      "E_DATA_SHA256",
    );
  });
});
