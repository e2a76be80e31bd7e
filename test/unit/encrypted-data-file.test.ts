import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { afterEach, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { readDataLines } from "../../src/snapshot/data-reader.js";
import type { SnapshotEncryption } from "../../src/snapshot/encryption.js";
import { manifestTables, parseManifest } from "../../src/snapshot/manifest.js";
import { writeSnapshot } from "../../src/snapshot/snapshot-writer.js";
import { testDescription } from "../helpers/snapshot.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures");

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const description = testDescription();

async function collect(path: string, options: Parameters<typeof readDataLines>[1]): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of readDataLines(path, options)) lines.push(line.bytes.toString("utf8"));
  return lines;
}

describe("encrypted data files (writer and reader hooks)", () => {
  it("writes an age data file whose manifest lists the recipients' public keys and reads it back", async () => {
    const identity = await generateX25519Identity();
    const recipient = await identityToRecipient(identity);
    const dir = await mkdtemp(join(tmpdir(), "booksnap-enc-"));
    dirs.push(dir);
    const plainSnap = await writeSnapshot(
      dir,
      "plain",
      generateLibrary({ users: 2, books: 30 }),
      description,
    );
    const encSnap = await writeSnapshot(dir, "enc", generateLibrary({ users: 2, books: 30 }), description, {
      encryption: { recipients: [recipient] },
    });

    const manifest = parseManifest(await readFile(encSnap.paths.manifestPath, "utf8"), "enc");
    expect(manifest.data.encryption).toEqual({ scheme: "age", mode: "recipients", recipients: [recipient] });
    expect(JSON.stringify(manifest)).not.toMatch(/AGE-SECRET-KEY/i);
    // Size and SHA-256 in the manifest are those of the encrypted file on disk.
    const onDisk = await readFile(encSnap.paths.dataPath);
    expect(manifest.data.bytes).toBe(onDisk.length);
    expect(manifest.data.sha256).toBe(createHash("sha256").update(onDisk).digest("hex"));
    expect(onDisk.subarray(0, 21).toString()).toBe("age-encryption.org/v1");
    // Same records, same digests as the unencrypted snapshot.
    expect(manifestTables(manifest)).toEqual(manifestTables(plainSnap.manifest));

    const expected = await collect(plainSnap.paths.dataPath, {});
    const decryption = {
      encryption: manifest.data.encryption as SnapshotEncryption,
      keys: { identities: [identity] },
    };
    const decrypted = await collect(encSnap.paths.dataPath, { decryption });
    expect(decrypted).toEqual(expected);
    expect(decrypted.length).toBe(manifest.data.lines);
  });

  it("fails clearly with a wrong passphrase, without one, and on a tampered encrypted file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "booksnap-enc-"));
    dirs.push(dir);
    const { paths } = await writeSnapshot(dir, "enc", generateLibrary({ users: 2, books: 30 }), description, {
      encryption: { passphrase: "right", scryptWorkFactor: 10 },
    });
    const encryption = { scheme: "age", mode: "passphrase" } as const;
    const withPassphrase = (passphrase: string) => ({
      decryption: { encryption, keys: { identities: [], passphrase } },
    });
    await expect(collect(paths.dataPath, withPassphrase("wrong"))).rejects.toMatchObject({
      code: "E_DECRYPT",
      category: "integrity",
    });
    await expect(collect(paths.dataPath, {})).rejects.toMatchObject({ code: "E_DATA_DECODE" });

    const bytes = await readFile(paths.dataPath);
    const tampered = Buffer.from(bytes);
    tampered[bytes.length - 20] = (tampered[bytes.length - 20] as number) ^ 1;
    await writeFile(paths.dataPath, tampered);
    await expect(collect(paths.dataPath, withPassphrase("right"))).rejects.toMatchObject({
      code: expect.stringMatching(/^E_DECRYPT/),
    });
    await writeFile(paths.dataPath, bytes.subarray(0, bytes.length - 100));
    await expect(collect(paths.dataPath, withPassphrase("right"))).rejects.toMatchObject({
      code: expect.stringMatching(/^E_DECRYPT/),
    });
  });

  it("still reads a snapshot encrypted by the retired AES-GCM writer (committed fixture)", async () => {
    const manifest = parseManifest(
      await readFile(join(FIXTURES, "legacy-aes-gcm-encrypted.manifest.json"), "utf8"),
      "legacy",
    );
    expect(manifest.data.encryption?.scheme).toBe("aes-256-gcm-chunked");
    const dataPath = join(FIXTURES, "legacy-aes-gcm-encrypted.ndjson.zst");
    const keys = (passphrase: string) => ({ identities: [], passphrase });
    const encryption = manifest.data.encryption as SnapshotEncryption;
    const lines = await collect(dataPath, {
      decryption: { encryption, keys: keys("legacy-fixture-passphrase") },
    });
    expect(lines).toEqual(await collect(join(FIXTURES, "lists-sharing-books.ndjson.zst"), {}));
    await expect(
      collect(dataPath, { decryption: { encryption, keys: keys("wrong") } }),
    ).rejects.toMatchObject({
      code: "E_DECRYPT",
    });
    await expect(
      collect(dataPath, { decryption: { encryption, keys: { identities: [] } } }),
    ).rejects.toMatchObject({ code: "E_NO_PASSPHRASE" });
  });
});
