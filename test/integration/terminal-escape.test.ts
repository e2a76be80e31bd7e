import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escapeJsonText, escapeTerminalText } from "../../src/cli/terminal-text.js";
import { generateLibrary } from "../../src/dataset/generate.js";
import { runCli } from "../../src/index.js";
import { writeSnapshot } from "../../src/snapshot/snapshot-writer.js";
import { contentDump, createPreparedTarget } from "../fault/targets.js";
import type { TestDatabase } from "../helpers/db.js";
import { readDataLines, rewriteSnapshot } from "../helpers/rewrite-snapshot.js";
import { testDescription } from "../helpers/snapshot.js";

/**
 * Nothing from a snapshot, manifest, database or error message reaches a terminal raw: a record
 * key and a manifest field hold the clipboard-write sequence (ESC ] 52), a C1 CSI (U+009B) and a
 * right-to-left override (U+202E). verify, import, inspect and list print them escaped, on a
 * terminal (with colour) or not, in human and JSON output.
 */

/** OSC 52: write "hello" to the clipboard; then C1 CSI, RLO, pop directional isolate. */
const EVIL = "k\u001b]52;c;aGVsbG8=\u0007\u009b31m\u202e\u2069";
/** What must never be printed raw: ESC, BEL, C1 controls, bidi overrides and isolates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const RAW = /[\u001b\u0007\u0080-\u009f\u202a-\u202e\u2066-\u2069]/;
/**
 * The sequences booksnap itself writes on a terminal: its colours (SGR) and the progress bar's
 * cursor handling (save/restore, hide/show, wrap off/on, column 1, erase line).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are escape sequences.
const OWN_SEQUENCES = /\u001b\[\d+m|\u001b[78]|\u001b\[\?(?:25|7)[lh]|\u001b\[\d*[GK]/g;
const withoutOwnSequences = (text: string) => text.replace(OWN_SEQUENCES, "");

let work: string;
let target: TestDatabase;
let snapshot: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "booksnap-escape-"));
  const written = await writeSnapshot(
    work,
    "evil",
    generateLibrary({ users: 1, books: 3, seed: 12 }),
    testDescription({ source: { host: `db-${EVIL}.example.com`, database: `books${EVIL}` } }),
  );
  const lines = await readDataLines(written.paths);
  // Line 2 is the first book: an extra key that validation names in its error.
  const book = JSON.parse(lines[1]?.toString() ?? "") as { record: Record<string, unknown> };
  book.record[EVIL] = EVIL;
  lines[1] = Buffer.from(JSON.stringify(book));
  await rewriteSnapshot(written.paths, written.manifest, lines);
  snapshot = join(work, "evil");
  target = await createPreparedTarget();
});
afterAll(async () => {
  await target?.drop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs the CLI in-process with stdout and stderr that say they are terminals (or not). */
async function run(args: string[], tty: boolean) {
  const stream = () => Object.assign(new PassThrough(), { isTTY: tty, columns: 120 });
  const stdout = stream();
  const stderr = stream();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (c: Buffer) => out.push(c));
  stderr.on("data", (c: Buffer) => err.push(c));
  const stdin = new PassThrough();
  stdin.end();
  const code = await runCli(args, {
    stdout,
    stderr,
    stdin,
    env: tty ? { TERM: "xterm-256color" } : { NO_COLOR: "1" },
    cwd: work,
    signal: new AbortController().signal,
  });
  return { code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}

describe("untrusted text on the terminal", () => {
  const commands = (): Array<{ name: string; args: string[]; code: number; shows: "stdout" | "stderr" }> => [
    { name: "verify", args: ["verify", snapshot], code: 4, shows: "stderr" },
    {
      name: "import",
      args: ["import", snapshot, "--to", target.url, "--yes", "--rejects", join(work, "r.ndjson")],
      code: 6,
      shows: "stderr",
    },
    { name: "inspect", args: ["inspect", snapshot], code: 0, shows: "stdout" },
    { name: "list", args: ["list", work], code: 0, shows: "stdout" },
  ];

  for (const tty of [true, false]) {
    it(`verify, import, inspect and list print it escaped (${tty ? "terminal, colour" : "pipe"})`, async () => {
      const before = await contentDump(target);
      for (const command of commands()) {
        const result = await run(command.args, tty);
        expect(result.code, `${command.name}: ${result.stderr}`).toBe(command.code);
        const printed = `${result.stdout}${result.stderr}`;
        expect(withoutOwnSequences(printed), command.name).not.toMatch(RAW);
        // Still there for a person to see, as visible escapes.
        expect(result[command.shows], command.name).toContain(
          "\\x1b]52;c;aGVsbG8=\\x07\\x9b31m\\u202e\\u2069",
        );
        if (!tty) expect(printed, command.name).not.toContain("\u001b");
      }
      expect(await contentDump(target)).toEqual(before);
    });
  }

  it("keeps booksnap's own colour on a terminal", async () => {
    const result = await run(["verify", snapshot], true);
    expect(result.stderr).toContain("\u001b[31merror\u001b[0m [E_RECORD_INVALID]");
  });

  it("--json output stays valid JSON and carries the text escaped as \\u sequences", async () => {
    for (const args of [
      ["verify", snapshot, "--json"],
      ["inspect", snapshot, "--json"],
      ["list", work, "--json"],
    ]) {
      const result = await run(args, true);
      expect(result.stdout, args[0]).not.toContain("\u001b");
      expect(withoutOwnSequences(`${result.stdout}${result.stderr}`), args[0]).not.toMatch(RAW);
      const parsed = JSON.parse(result.stdout) as unknown;
      expect(JSON.stringify(parsed), args[0]).toContain(JSON.stringify(EVIL).slice(1, -1));
    }
  });
});

describe("the escaping itself", () => {
  it("escapes C0 (but tab and newline), DEL, C1 and bidi controls as visible sequences", () => {
    expect(escapeTerminalText("a\tb\nc\r\u0000\u007f\u0085\u061c\u200e\u202a\u2068\u2028")).toBe(
      "a\tb\nc\\x0d\\x00\\x7f\\x85\\u061c\\u200e\\u202a\\u2068\\u2028",
    );
    expect(escapeTerminalText("plain text, é, 📚")).toBe("plain text, é, 📚");
  });

  it("keeps JSON equal to itself", () => {
    const value = { [EVIL]: [EVIL, "\u0085x\u202e"] };
    const json = escapeJsonText(JSON.stringify(value));
    expect(json).not.toMatch(RAW);
    expect(JSON.parse(json)).toEqual(value);
  });
});
