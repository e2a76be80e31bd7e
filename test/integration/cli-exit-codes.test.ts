import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/db/embedded.js";
import { ExitCode } from "../../src/errors.js";
import { runBooksnap } from "../helpers/cli.js";

/**
 * The exit codes README documents, produced by real failures of different commands: the same
 * category of problem gives the same code whichever command hits it, and --json says why.
 */
/** A scratch working directory: failed exports append to logs/audit.ndjson there. */
let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), "booksnap-exit-"));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe("exit codes", () => {
  it.each([
    { why: "no database URL", args: ["prepare"], code: ExitCode.usage, error: "E_NO_URL" },
    {
      why: "an invalid setting",
      args: ["demo", "--books", "0"],
      code: ExitCode.usage,
      error: "E_BAD_SETTING",
    },
    {
      why: "a missing snapshot",
      args: ["verify", "/nonexistent/snap"],
      code: ExitCode.integrity,
      error: "E_MANIFEST_MISSING",
    },
    {
      why: "a missing snapshot (inspect)",
      args: ["inspect", "/nonexistent/snap"],
      code: ExitCode.integrity,
      error: "E_MANIFEST_MISSING",
    },
  ])("$why → exit $code ($error)", async ({ args, code, error }) => {
    const run = await runBooksnap([...args, "--json"], { cwd });
    expect(run.code).toBe(code);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { code: error } });
  });

  it("a server that refuses the connection → exit 3 for export, import and prepare alike", async () => {
    const url = `postgresql://postgres@127.0.0.1:${await freePort()}/books`;
    for (const args of [
      ["export", "--from", url],
      ["prepare", "--to", url],
      ["import", "--abort", "--to", url],
    ]) {
      const run = await runBooksnap([...args, "--json"], { cwd });
      expect(run.code, `${args[0]}: ${run.stderr}`).toBe(ExitCode.connection);
      expect(JSON.parse(run.stdout)).toMatchObject({
        ok: false,
        error: { code: "E_CONNECT", category: "connection" },
      });
    }
  });
});
