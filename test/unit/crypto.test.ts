import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { isBooksnapError, SnapshotIntegrityError } from "../../src/errors.js";
import { createDecryptStream, createEncryptStream, passphraseFromEnv } from "../../src/snapshot/crypto.js";

const HEADER = 45;
const TAG = 16;
const CHUNK = 1024;
const passphrase = "correct horse battery staple";

async function encrypt(plain: Buffer, chunkBytes = CHUNK): Promise<Buffer> {
  const out: Buffer[] = [];
  // Feed in odd-sized pieces so chunking does not depend on how the input is split.
  const pieces = [];
  for (let at = 0; at < plain.length; at += 777) pieces.push(plain.subarray(at, at + 777));
  await pipeline(Readable.from(pieces), createEncryptStream({ passphrase, chunkBytes }), async (source) => {
    for await (const chunk of source) out.push(chunk as Buffer);
  });
  return Buffer.concat(out);
}

async function decrypt(sealed: Buffer, pass = passphrase): Promise<Buffer> {
  const pieces = [];
  for (let at = 0; at < sealed.length; at += 500) pieces.push(sealed.subarray(at, at + 500));
  const decryptor = createDecryptStream({ passphrase: pass });
  const [result] = await Promise.all([buffer(decryptor), pipeline(Readable.from(pieces), decryptor)]);
  return result;
}

async function decryptFailure(sealed: Buffer, pass = passphrase): Promise<SnapshotIntegrityError> {
  const error = await decrypt(sealed, pass).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isBooksnapError(error)).toBe(true);
  expect(error).toBeInstanceOf(SnapshotIntegrityError);
  return error as SnapshotIntegrityError;
}

/** Sealed chunk boundaries of a file made with CHUNK-byte chunks. */
function chunkAt(index: number): [number, number] {
  const start = HEADER + index * (CHUNK + TAG);
  return [start, start + CHUNK + TAG];
}

describe("snapshot encryption (AES-256-GCM, chunked, scrypt)", () => {
  const plain = randomBytes(CHUNK * 3 + 100); // 3 full chunks + a partial final chunk

  it("round-trips data of any length, including empty and exact multiples of the chunk size", async () => {
    for (const size of [0, CHUNK - 1, CHUNK, 2 * CHUNK + 1, plain.length]) {
      const data = plain.subarray(0, size);
      const sealed = await encrypt(data);
      expect(sealed.subarray(0, 8).toString()).toBe("BSNAPENC");
      expect(await decrypt(sealed)).toEqual(data);
    }
  });

  it("does not reveal the plaintext and uses a fresh salt and nonce every time", async () => {
    const text = Buffer.from("secret book title ".repeat(200));
    const a = await encrypt(text);
    const b = await encrypt(text);
    expect(a.includes(Buffer.from("secret book title"))).toBe(false);
    expect(a.subarray(17, 45).equals(b.subarray(17, 45))).toBe(false);
    expect(a.equals(b)).toBe(false);
  });

  it("refuses a wrong passphrase with E_DECRYPT", async () => {
    const error = await decryptFailure(await encrypt(plain), "wrong passphrase");
    expect(error.code).toBe("E_DECRYPT");
    expect(error.message).toMatch(/wrong passphrase/);
    expect(error.exitCode).toBe(4);
  });

  it("detects a flipped byte in any chunk, and in the header", async () => {
    const sealed = await encrypt(plain);
    for (const at of [HEADER + 5, chunkAt(1)[0] + 10, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[at] = (tampered[at] as number) ^ 0x01;
      const error = await decryptFailure(tampered);
      expect(["E_DECRYPT", "E_DECRYPT_TAMPERED"]).toContain(error.code);
    }
    // The salt is part of the header: changing it changes the key and fails the first chunk.
    const saltFlipped = Buffer.from(sealed);
    saltFlipped[20] = (saltFlipped[20] as number) ^ 0x80;
    expect((await decryptFailure(saltFlipped)).code).toBe("E_DECRYPT");
    const magic = Buffer.from(sealed);
    magic[0] = 0x58;
    expect((await decryptFailure(magic)).code).toBe("E_ENCRYPTION_HEADER");
  });

  it("detects a missing final chunk (truncation at a chunk boundary)", async () => {
    const sealed = await encrypt(plain);
    const error = await decryptFailure(sealed.subarray(0, chunkAt(2)[1]));
    expect(error.code).toBe("E_DECRYPT_TRUNCATED");
    expect((await decryptFailure(sealed.subarray(0, HEADER))).code).toBe("E_DECRYPT_TRUNCATED");
    expect((await decryptFailure(sealed.subarray(0, 20))).code).toBe("E_ENCRYPTION_HEADER");
    expect((await decryptFailure(Buffer.alloc(0))).code).toBe("E_DECRYPT_TRUNCATED");
  });

  it("detects a cut in the middle of a chunk", async () => {
    const sealed = await encrypt(plain);
    for (const cut of [chunkAt(1)[0] + 100, sealed.length - 1, sealed.length - TAG - 3]) {
      const error = await decryptFailure(sealed.subarray(0, cut));
      expect(["E_DECRYPT_TAMPERED", "E_DECRYPT_TRUNCATED"]).toContain(error.code);
    }
  });

  it("detects garbage appended after the final chunk", async () => {
    const sealed = await encrypt(plain);
    for (const extra of [1, TAG, CHUNK + TAG, 3 * CHUNK]) {
      const error = await decryptFailure(Buffer.concat([sealed, randomBytes(extra)]));
      expect(error.code).toBe("E_DECRYPT_TAMPERED");
    }
  });

  it("detects reordered and duplicated chunks", async () => {
    const sealed = await encrypt(plain);
    const chunk = (i: number) => sealed.subarray(...chunkAt(i));
    const header = sealed.subarray(0, HEADER);
    const final = sealed.subarray(chunkAt(3)[0]);
    const swapped = Buffer.concat([header, chunk(1), chunk(0), chunk(2), final]);
    expect((await decryptFailure(swapped)).code).toBe("E_DECRYPT");
    const swappedLater = Buffer.concat([header, chunk(0), chunk(2), chunk(1), final]);
    expect((await decryptFailure(swappedLater)).code).toBe("E_DECRYPT_TAMPERED");
    const duplicated = Buffer.concat([header, chunk(0), chunk(1), chunk(1), chunk(2), final]);
    expect((await decryptFailure(duplicated)).code).toBe("E_DECRYPT_TAMPERED");
  });

  it("never passes on plaintext from a chunk that fails authentication", async () => {
    const sealed = await encrypt(plain);
    const tampered = Buffer.from(sealed);
    const [start] = chunkAt(2);
    tampered[start + 1] = (tampered[start + 1] as number) ^ 0xff;
    const received: Buffer[] = [];
    const decryptor = createDecryptStream({ passphrase });
    decryptor.on("data", (chunk: Buffer) => received.push(chunk));
    await expect(pipeline(Readable.from([tampered]), decryptor)).rejects.toMatchObject({
      code: "E_DECRYPT_TAMPERED",
    });
    expect(Buffer.concat(received)).toEqual(plain.subarray(0, 2 * CHUNK));
  });

  it("rejects header cost parameters outside the accepted bounds (untrusted header)", async () => {
    const sealed = Buffer.from(await encrypt(plain));
    sealed[10] = 40; // log2 N = 40 would need terabytes
    expect((await decryptFailure(sealed)).code).toBe("E_ENCRYPTION_HEADER");
  });

  it("takes the passphrase only from a non-empty environment variable", () => {
    expect(passphraseFromEnv({ BOOKSNAP_PASSPHRASE: "x y z" }, "BOOKSNAP_PASSPHRASE")).toBe("x y z");
    expect(() => passphraseFromEnv({}, "BOOKSNAP_PASSPHRASE")).toThrow(/BOOKSNAP_PASSPHRASE is not set/);
    expect(() => passphraseFromEnv({ MINE: "" }, "MINE")).toThrow(
      expect.objectContaining({ code: "E_NO_PASSPHRASE" }),
    );
  });
});
