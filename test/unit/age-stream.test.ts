import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import { describe, expect, it } from "vitest";
import { isBooksnapError } from "../../src/errors.js";
import {
  type AgeEncryptionKeys,
  createAgeDecryptStream,
  createAgeEncryptStream,
  type DecryptionKeys,
} from "../../src/snapshot/age-stream.js";

/** age STREAM: 64 KiB plaintext chunks, 16-byte Poly1305 tag each. */
const CHUNK = 64 * 1024;
const SEALED = CHUNK + 16;

async function run(
  input: Buffer,
  transform: NodeJS.ReadWriteStream,
  received: Buffer[] = [],
): Promise<Buffer> {
  // Feed in odd-sized pieces so chunking does not depend on how the input is split.
  const pieces: Buffer[] = [];
  for (let at = 0; at < input.length; at += 7777) pieces.push(input.subarray(at, at + 7777));
  await pipeline(Readable.from(pieces), transform, async (source) => {
    for await (const chunk of source) received.push(Buffer.from(chunk as Uint8Array));
  });
  return Buffer.concat(received);
}

const encrypt = (plain: Buffer, keys: AgeEncryptionKeys) => run(plain, createAgeEncryptStream(keys));
const decrypt = (sealed: Buffer, keys: DecryptionKeys, received?: Buffer[]) =>
  run(sealed, createAgeDecryptStream(keys), received);

async function failure(
  promise: Promise<unknown>,
): Promise<{ code: string; category: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isBooksnapError(error), String(error)).toBe(true);
  return error as { code: string; category: string; message: string };
}

async function keyPair(): Promise<{ identity: string; recipient: string }> {
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}

/** The header ends after the "--- <mac>\n" line; the 16-byte payload nonce follows. */
function payloadStart(sealed: Buffer): number {
  return sealed.indexOf("\n", sealed.indexOf("\n---") + 1) + 1 + 16;
}

describe("age encryption of the data stream", () => {
  it("round-trips data of any length for each of two recipients, and the file is a standard age file", async () => {
    const [alice, bob] = [await keyPair(), await keyPair()];
    for (const length of [0, 1, CHUNK, 2 * CHUNK + 3]) {
      const plain = randomBytes(length);
      const sealed = await encrypt(plain, { recipients: [alice.recipient, bob.recipient] });
      expect(sealed.subarray(0, 22).toString()).toBe("age-encryption.org/v1\n");
      expect(sealed.toString("latin1").match(/^-> X25519 /gm)).toHaveLength(2);
      expect(await decrypt(sealed, { identities: [alice.identity] })).toEqual(plain);
      expect(await decrypt(sealed, { identities: [bob.identity] })).toEqual(plain);
    }
  });

  it("refuses an identity that is not a recipient with E_DECRYPT (integrity, exit 4)", async () => {
    const [alice, mallory] = [await keyPair(), await keyPair()];
    const sealed = await encrypt(randomBytes(1000), { recipients: [alice.recipient] });
    const error = await failure(decrypt(sealed, { identities: [mallory.identity] }));
    expect(error).toMatchObject({ code: "E_DECRYPT", category: "integrity" });
    expect(error.message).not.toContain(mallory.identity);
  });

  it("says which key is missing: no identity for a recipients file, no passphrase for a passphrase file", async () => {
    const alice = await keyPair();
    const forAlice = await encrypt(randomBytes(10), { recipients: [alice.recipient] });
    expect(await failure(decrypt(forAlice, { identities: [], passphrase: "x" }))).toMatchObject({
      code: "E_NO_IDENTITY",
      category: "usage",
    });
    const byPassphrase = await encrypt(randomBytes(10), { passphrase: "pw", scryptWorkFactor: 10 });
    expect(await failure(decrypt(byPassphrase, { identities: [alice.identity] }))).toMatchObject({
      code: "E_NO_PASSPHRASE",
      category: "usage",
    });
  });

  it("passphrase mode uses age's scrypt recipient; a wrong passphrase is E_DECRYPT", async () => {
    const plain = randomBytes(CHUNK + 5);
    const sealed = await encrypt(plain, { passphrase: "correct horse", scryptWorkFactor: 10 });
    expect(sealed.toString("latin1")).toMatch(/^-> scrypt \S{22} 10$/m);
    expect(await decrypt(sealed, { identities: [], passphrase: "correct horse" })).toEqual(plain);
    expect(await failure(decrypt(sealed, { identities: [], passphrase: "wrong" }))).toMatchObject({
      code: "E_DECRYPT",
    });
  });

  it("refuses an scrypt work factor above the cap before deriving anything (untrusted header)", async () => {
    const sealed = await encrypt(randomBytes(10), { passphrase: "pw", scryptWorkFactor: 10 });
    const hostile = Buffer.from(
      sealed.toString("latin1").replace(/^(-> scrypt \S+) 10$/m, "$1 30"),
      "latin1",
    );
    expect(await failure(decrypt(hostile, { identities: [], passphrase: "pw" }))).toMatchObject({
      code: "E_SCRYPT_WORK_FACTOR",
      category: "integrity",
    });
  });

  it("detects a flipped byte in the header, in any chunk, a cut, a dropped final chunk and appended bytes", async () => {
    const alice = await keyPair();
    const keys = { identities: [alice.identity] };
    const sealed = await encrypt(randomBytes(3 * CHUNK + 100), { recipients: [alice.recipient] });
    const start = payloadStart(sealed);
    const flip = (at: number) => {
      const copy = Buffer.from(sealed);
      copy[at] = (copy[at] as number) ^ 1;
      return copy;
    };
    const cases: [string, Buffer][] = [
      ["header", flip(30)],
      ["mac", flip(start - 20)],
      ["chunk 0", flip(start + 10)],
      ["chunk 2", flip(start + 2 * SEALED + 10)],
      ["final chunk", flip(sealed.length - 1)],
      ["cut inside a chunk", sealed.subarray(0, start + SEALED + 500)],
      ["final chunk dropped", sealed.subarray(0, start + 3 * SEALED)],
      ["appended", Buffer.concat([sealed, Buffer.alloc(50, 7)])],
      ["empty", Buffer.alloc(0)],
      ["not age", Buffer.from("BSNAPENC and more bytes than the version line")],
    ];
    for (const [label, data] of cases) {
      const error = await failure(decrypt(data, keys));
      expect(error.code, label).toMatch(/^E_DECRYPT/);
      expect(error.category, label).toBe("integrity");
    }
  });

  it("never passes on plaintext from a chunk that fails authentication", async () => {
    const alice = await keyPair();
    const plain = randomBytes(4 * CHUNK);
    const sealed = await encrypt(plain, { recipients: [alice.recipient] });
    const tampered = Buffer.from(sealed);
    const at = payloadStart(sealed) + 2 * SEALED + 3;
    tampered[at] = (tampered[at] as number) ^ 1;
    const received: Buffer[] = [];
    await failure(decrypt(tampered, { identities: [alice.identity] }, received));
    const released = Buffer.concat(received);
    expect(released.length).toBeLessThanOrEqual(2 * CHUNK);
    expect(released).toEqual(plain.subarray(0, released.length));
  });
});

describe("age scrypt recipient on node:crypto", () => {
  it("interoperates both ways with age-encryption's own scrypt implementation", async () => {
    const plain = randomBytes(1000);
    const ours = await encrypt(plain, { passphrase: "päss phrase", scryptWorkFactor: 10 });
    const theirs = new Decrypter();
    theirs.addPassphrase("päss phrase");
    expect(Buffer.from(await theirs.decrypt(new Uint8Array(ours)))).toEqual(plain);
    const encrypter = new Encrypter();
    encrypter.setPassphrase("päss phrase");
    encrypter.setScryptWorkFactor(11);
    const sealed = Buffer.from(await encrypter.encrypt(new Uint8Array(plain)));
    expect(await decrypt(sealed, { identities: [], passphrase: "päss phrase" })).toEqual(plain);
  });
});
