import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { generateLibrary } from "../../src/dataset/generate.js";
import { writeSnapshot } from "../../src/snapshot/snapshot-writer.js";
import { runBooksnap } from "../helpers/cli.js";
import { testDescription } from "../helpers/snapshot.js";

const ESC = "\u001b[";

/**
 * Colour only when a person is watching: never through a pipe, never with NO_COLOR or
 * --no-color. FORCE_COLOR stands in for a terminal here; the terminal case itself is in
 * test/tty/.
 */
describe("colour", () => {
  it("is off when stderr is not a terminal", async () => {
    const run = await runBooksnap(["exprt"], { env: { NO_COLOR: undefined } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error [E_UNKNOWN_COMMAND]");
    expect(run.stderr).not.toContain(ESC);
  });

  it("is on when forced, and NO_COLOR or --no-color win over that", async () => {
    const forced = await runBooksnap(["exprt"], { env: { NO_COLOR: undefined, FORCE_COLOR: "1" } });
    expect(forced.stderr).toContain(`${ESC}31merror`);
    const noColor = await runBooksnap(["exprt"], { env: { NO_COLOR: "1", FORCE_COLOR: "1" } });
    expect(noColor.stderr).not.toContain(ESC);
    const flag = await runBooksnap(["exprt", "--no-color"], {
      env: { NO_COLOR: undefined, FORCE_COLOR: "1" },
    });
    expect(flag.stderr).not.toContain(ESC);
  });

  it("never reaches --json output", async () => {
    const run = await runBooksnap(["exprt", "--json"], { env: { NO_COLOR: undefined, FORCE_COLOR: "1" } });
    expect(run.stdout).not.toContain(ESC);
    expect(JSON.parse(run.stdout).ok).toBe(false);
  });

  it("follows each stream: a piped stdout gets no colour while stderr is a terminal", async () => {
    const dir = await mkdtemp(join(tmpdir(), "booksnap-color-"));
    try {
      await writeSnapshot(
        dir,
        "snap",
        generateLibrary({ users: 1, books: 5 }),
        testDescription({ source: { database: "books" } }),
      );
      const listing = async (stdoutIsTTY: boolean) => {
        const stdout = Object.assign(new PassThrough(), { isTTY: stdoutIsTTY });
        const stderr = Object.assign(new PassThrough(), { isTTY: true });
        let text = "";
        stdout.on("data", (chunk: Buffer) => {
          text += chunk.toString("utf8");
        });
        const code = await runCli(["list", dir], {
          stdout,
          stderr,
          stdin: new PassThrough(),
          env: { TERM: "xterm" },
          cwd: dir,
          signal: new AbortController().signal,
        });
        expect(code).toBe(0);
        return text;
      };
      expect(await listing(true)).toContain(`${ESC}1mNAME`);
      const piped = await listing(false);
      expect(piped).toMatch(/^NAME\s+AGE/);
      expect(piped).not.toContain(ESC);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
