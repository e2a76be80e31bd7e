import { execFile } from "node:child_process";
import { access, constants, mkdtemp, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CLI_PATH, runBooksnap } from "../helpers/cli.js";

/**
 * `--env-file` is booksnap's alone. Node (20 and later) also reads an `--env-file` it finds among
 * a script's arguments and applies a NODE_OPTIONS line from that file before the script starts;
 * a planted `--require` would run inside booksnap. Every documented way to start booksnap must
 * keep node away from it, and a missing file must be booksnap's E_ENV_FILE (exit 2), not node's.
 */

const REPO = join(dirname(CLI_PATH), "..");
let work: string;
let marker: string;
let envFile: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "booksnap-env-file-"));
  marker = join(work, "marker");
  const evil = join(work, "evil.cjs");
  await writeFile(
    evil,
    `require("node:fs").writeFileSync(${JSON.stringify(marker)}, process.argv.join(" "));\n`,
  );
  envFile = join(work, "evil.env");
  await writeFile(envFile, `NODE_OPTIONS=--require ${evil}\nBOOKSNAP_UNRELATED=1\n`);
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});
beforeEach(async () => {
  await rm(marker, { force: true });
});

const markerWritten = () =>
  stat(marker).then(
    () => true,
    () => false,
  );

/** Runs a program (no shell) and returns its exit code and output. */
async function run(file: string, args: string[], cwd: string) {
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? work, NO_COLOR: "1" };
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, { cwd, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

const listArgs = () => ["list", join(work, "no-snapshots-here"), "--env-file", envFile];

describe("--env-file", () => {
  it("the built CLI is executable, so the bin runs through its shebang", async () => {
    await access(CLI_PATH, constants.X_OK);
  });

  it("the installed bin (a link to dist/cli.js, run through its shebang) never runs the file's NODE_OPTIONS", async () => {
    const bin = join(work, "booksnap");
    await symlink(CLI_PATH, bin);
    const result = await run(bin, listArgs(), work);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("No snapshots");
    expect(await markerWritten()).toBe(false);
  });

  it("`node -- dist/cli.js` (npm run booksnap) never runs it either", async () => {
    const result = await runBooksnap(listArgs());
    expect(result.code, result.stderr).toBe(0);
    expect(await markerWritten()).toBe(false);
  });

  it("`npx -- booksnap` (the README's form) never runs it", async () => {
    // --ignore-scripts: npx's first run in a checkout links the package and would run its
    // `prepare` (a rebuild of dist/ under the other tests' feet); what node reads is the same.
    const result = await run("npx", ["--offline", "--ignore-scripts", "--", "booksnap", ...listArgs()], REPO);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("No snapshots");
    expect(await markerWritten()).toBe(false);
  });

  it("a missing env file is booksnap's E_ENV_FILE with exit 2, not node's 'not found' (exit 9)", async () => {
    const result = await run(CLI_PATH, ["list", "--env-file", join(work, "missing.env")], work);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("[E_ENV_FILE]");
    expect(result.stderr).not.toMatch(/^node:/m);
  });

  it("started as `node dist/cli.js … --env-file` (node has read the file itself), booksnap says so", async () => {
    const result = await run(
      process.execPath,
      [CLI_PATH, "list", "--env-file", join(work, "plain.env")],
      work,
    );
    // node gives up on the missing file before booksnap starts: what `--` avoids.
    expect(result.code).toBe(9);
    await writeFile(join(work, "plain.env"), "BOOKSNAP_UNRELATED=1\n");
    const read = await run(process.execPath, [CLI_PATH, "list", "--env-file", join(work, "plain.env")], work);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stderr).toContain("node itself read the --env-file");
  });
});
