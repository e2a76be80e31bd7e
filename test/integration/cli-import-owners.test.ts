import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runBooksnap } from "../helpers/cli.js";

/** A port nothing listens on: the runs below stop before connecting, and must not reach a database. */
const UNUSED_TARGET = "postgresql://127.0.0.1:1/booksnap_owners_flags";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("import --owners and --as (flags only; the engine's behaviour is tested elsewhere)", () => {
  it("--help explains both owner modes, why collapse is the default, and --as", async () => {
    const run = await runBooksnap(["import", "--help"]);
    expect(run.code).toBe(0);
    // yargs wraps descriptions to the terminal width: compare with whitespace folded.
    const help = run.stdout.replace(/\s+/g, " ");
    expect(help).toContain(
      "--owners collapse (default: what the old sync script did, and what you want when you sign in as yourself): every snapshot owner's books and lists go to your dev user (--user), so you see realistic data on your own account.",
    );
    expect(help).toContain(
      "keep: each snapshot owner becomes a (pseudonymised) user of its own, reproducing production's multi-user layout, e.g. to work on public profiles or the home page's default user",
    );
    expect(help).toContain('[choices: "collapse", "keep"] [default: "collapse"]');
    expect(help).toMatch(
      /--as With --owners keep and --user: the snapshot owner \(id, or email as the snapshot holds it\)/,
    );
    expect(help).toContain("booksnap import snap --owners keep ");
  });

  it("--owners bogus is a usage error (exit 2, E_USAGE); a valid mode gets past the flags", async () => {
    const dir = await mkdtemp(join(tmpdir(), "booksnap-owners-flags-"));
    dirs.push(dir);
    const args = ["import", "no-such-snapshot", "--to", UNUSED_TARGET, "--log-dir", join(dir, "logs")];
    const bogus = await runBooksnap([...args, "--owners", "bogus", "--json"], { cwd: dir });
    expect(bogus.code).toBe(2);
    expect(JSON.parse(bogus.stdout)).toMatchObject({
      ok: false,
      error: { code: "E_USAGE", category: "usage" },
    });
    expect(bogus.stdout).toContain('Given: \\"bogus\\", Choices: \\"collapse\\", \\"keep\\"');

    // The same command with a valid combination reaches the snapshot (missing: exit 4), and the
    // audit record of the failed run names the owner mode and --as.
    const keep = await runBooksnap([...args, "--owners", "keep", "--user", "me@example.com", "--as", "42"], {
      cwd: dir,
    });
    expect(keep.code, keep.stderr).toBe(4);
    expect(keep.stderr).toContain("E_MANIFEST_MISSING");
    const audit = (await readFile(join(dir, "logs", "audit.ndjson"), "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      command: "import",
      status: "failed",
      owners: "keep",
      as: "42",
      error: { code: "E_MANIFEST_MISSING" },
    });
  });
});
