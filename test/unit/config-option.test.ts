import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import yargs from "yargs";
import { describeConfigOrigin, resolveConfigOption, withConfigOption } from "../../src/cli/config-option.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "booksnap-config-option-"));
  await writeFile(join(dir, "other.json"), JSON.stringify({ owners: null }), { mode: 0o600 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("--config", () => {
  it("is an optional string flag that resolves the file relative to cwd", async () => {
    const args = await withConfigOption(yargs(["--config", "other.json"])).parseAsync();
    expect(args.config).toBe("other.json");
    const config = await resolveConfigOption(args, dir);
    expect(config.owners).toBeNull();
    expect(describeConfigOrigin(config)).toBe(`configuration: ${join(dir, "other.json")}`);
  });

  it("falls back to the built-in configuration when absent and cwd has no file", async () => {
    const args = await withConfigOption(yargs([])).parseAsync();
    expect(args.config).toBeUndefined();
    expect(describeConfigOrigin(await resolveConfigOption(args, dir))).toBe(
      "configuration: built-in (book-app)",
    );
  });
});
