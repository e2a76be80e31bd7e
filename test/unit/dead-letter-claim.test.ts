import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeadLetterFile } from "../../src/import/dead-letter-file.js";

/**
 * Which existing file at the dead-letter path booksnap treats as its own (and may replace): only
 * one whose first line is a rejected record. Written against surviving mutants of
 * dead-letter-file.ts (docs/security.md, "Mutation testing"); needs no umask, so it runs under Stryker.
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "booksnap-dl-claim-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const REJECT = { line: 3, model: "Book", reason: "bad isbn", category: "validation" };

async function fileWith(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text, { mode: 0o600 });
  return path;
}

describe("DeadLetterFile.claim", () => {
  it("claims a free path, and an earlier dead-letter file (model may be null, category constraint)", async () => {
    await expect(DeadLetterFile.claim(join(dir, "free.ndjson"))).resolves.toBeInstanceOf(DeadLetterFile);
    for (const first of [REJECT, { ...REJECT, model: null }, { ...REJECT, category: "constraint" }]) {
      const path = await fileWith(`ours-${Math.random()}.ndjson`, `${JSON.stringify(first)}\n`);
      await expect(DeadLetterFile.claim(path)).resolves.toBeInstanceOf(DeadLetterFile);
    }
  });

  it.each([
    ["no newline", JSON.stringify(REJECT)],
    ["an empty first line", `\n${JSON.stringify(REJECT)}\n`],
    ["an array", "[1,2]\n"],
    ["null", "null\n"],
    ["a number", "3\n"],
    ["line not an integer", `${JSON.stringify({ ...REJECT, line: 1.5 })}\n`],
    ["model a number", `${JSON.stringify({ ...REJECT, model: 7 })}\n`],
    ["no reason", `${JSON.stringify({ ...REJECT, reason: undefined })}\n`],
    ["another category", `${JSON.stringify({ ...REJECT, category: "other" })}\n`],
    ["not JSON", "# my notes\n"],
  ])("refuses a file whose first line is not a rejected record (%s), and keeps it", async (_why, text) => {
    const path = await fileWith(`notes-${Math.random()}.md`, text);
    await expect(DeadLetterFile.claim(path)).rejects.toMatchObject({
      code: "E_REJECTS_EXISTS",
      message: `Refusing to write rejected records to ${path}: it exists and is not a dead-letter file booksnap wrote`,
      details: { path },
    });
    expect(await readFile(path, "utf8")).toBe(text);
  });

  it("refuses a symbolic link, even to a dead-letter file", async () => {
    const target = await fileWith("real.ndjson", `${JSON.stringify(REJECT)}\n`);
    const link = join(dir, "link.ndjson");
    await symlink(target, link);
    await expect(DeadLetterFile.claim(link)).rejects.toMatchObject({
      code: "E_REJECTS_EXISTS",
      message: `Refusing to write rejected records to ${link}: it exists and is a symbolic link`,
    });
  });

  it("writes records to a free path, then replaces its own file on the next write", async () => {
    const path = join(dir, "run.rejects.ndjson");
    const file = await DeadLetterFile.claim(path);
    const summary = await file.write([REJECT, { ...REJECT, line: 9, category: "constraint" }]);
    expect(summary).toMatchObject({ total: 2, validation: 1, first: REJECT });
    await file.write([{ ...REJECT, line: 5 }]);
    expect(await readFile(path, "utf8")).toBe(`${JSON.stringify({ ...REJECT, line: 5 })}\n`);
    await file.removeOutdated();
    await expect(readFile(path)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
