import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { readDataLines } from "../../src/snapshot/data-reader.js";
import { parseManifest } from "../../src/snapshot/manifest.js";
import { writeSnapshot } from "../../src/snapshot/snapshot-writer.js";
import { testDescription } from "../helpers/snapshot.js";

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
  it("writes an encrypted data file whose manifest describes it and reads it back with the passphrase", async () => {
    const dir = await mkdtemp(join(tmpdir(), "booksnap-enc-"));
    dirs.push(dir);
    const plainSnap = await writeSnapshot(
      dir,
      "plain",
      generateLibrary({ users: 2, books: 30 }),
      description,
    );
    const encSnap = await writeSnapshot(dir, "enc", generateLibrary({ users: 2, books: 30 }), description, {
      encryption: { passphrase: "s3cret passphrase", chunkBytes: 4096 },
    });

    const manifest = parseManifest(await readFile(encSnap.paths.manifestPath, "utf8"), "enc");
    expect(manifest.data.encryption).toEqual({
      scheme: "aes-256-gcm-chunked",
      kdf: "scrypt",
      kdfParams: { N: 32768, r: 8, p: 1 },
      chunkBytes: 4096,
    });
    expect(JSON.stringify(manifest)).not.toContain("s3cret");
    // Size and SHA-256 in the manifest are those of the encrypted file on disk.
    const onDisk = await readFile(encSnap.paths.dataPath);
    expect(manifest.data.bytes).toBe(onDisk.length);
    expect(manifest.data.sha256).toBe(createHash("sha256").update(onDisk).digest("hex"));
    expect(onDisk.subarray(0, 8).toString()).toBe("BSNAPENC");
    // Same records, same digests as the unencrypted snapshot.
    expect(manifest.models).toEqual(plainSnap.manifest.models);

    const expected = await collect(plainSnap.paths.dataPath, {});
    const decrypted = await collect(encSnap.paths.dataPath, { passphrase: "s3cret passphrase" });
    expect(decrypted).toEqual(expected);
    expect(decrypted.length).toBe(manifest.data.lines);
  });

  it("fails clearly with a wrong passphrase, without one, and on a tampered encrypted file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "booksnap-enc-"));
    dirs.push(dir);
    const { paths } = await writeSnapshot(dir, "enc", generateLibrary({ users: 2, books: 30 }), description, {
      encryption: { passphrase: "right", chunkBytes: 4096 },
    });
    await expect(collect(paths.dataPath, { passphrase: "wrong" })).rejects.toMatchObject({
      code: "E_DECRYPT",
      category: "integrity",
    });
    await expect(collect(paths.dataPath, {})).rejects.toMatchObject({ code: "E_DATA_DECODE" });

    const bytes = await readFile(paths.dataPath);
    const tampered = Buffer.from(bytes);
    tampered[bytes.length - 20] = (tampered[bytes.length - 20] as number) ^ 1;
    await writeFile(paths.dataPath, tampered);
    await expect(collect(paths.dataPath, { passphrase: "right" })).rejects.toMatchObject({
      code: expect.stringMatching(/^E_DECRYPT/),
    });
    await writeFile(paths.dataPath, bytes.subarray(0, bytes.length - 100));
    await expect(collect(paths.dataPath, { passphrase: "right" })).rejects.toMatchObject({
      code: expect.stringMatching(/^E_DECRYPT/),
    });
  });
});
