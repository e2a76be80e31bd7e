import { describe, expect, it } from "vitest";
import { runBooksnap } from "../helpers/cli.js";

/** Usage mistakes: exit 2, a clear message on stderr, a suggestion when one is close, no work done. */
describe("usage errors", () => {
  it("suggest the command an unknown command is closest to", async () => {
    const run = await runBooksnap(["exprt"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Unknown command 'exprt'");
    expect(run.stderr).toContain("Did you mean 'export'?");
    expect(run.stdout).toBe("");
  });

  it("list the commands when nothing is close", async () => {
    const run = await runBooksnap(["xyzzy"]);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toContain("Did you mean");
    expect(run.stderr).toMatch(/Commands: export, import, .*list.*demo/);
  });

  it("suggest the option an unknown flag is closest to, among that command's options", async () => {
    const run = await runBooksnap(["export", "--ownr", "alice@example.com"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Unknown option --ownr (did you mean --owner?)");
    expect(run.stderr).toContain("booksnap export --help");
    const negated = await runBooksnap(["export", "--no-redcat"]);
    expect(negated.stderr).toContain("--no-redcat (did you mean --no-redact?)");
    const global = await runBooksnap(["list", "--jsno"]);
    expect(global.code).toBe(2);
    expect(global.stderr).toContain("did you mean --json?");
  });

  it("stop before the handler runs when a required argument is missing or extra", async () => {
    const missing = await runBooksnap(["inspect"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Not enough non-option arguments");
    expect(missing.stderr).not.toContain("E_UNEXPECTED");
    const extra = await runBooksnap(["inspect", "a", "b"]);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain("Unexpected argument 'b'");
  });

  it("report usage errors as JSON on stdout with --json", async () => {
    const run = await runBooksnap(["exprt", "--json"]);
    expect(run.code).toBe(2);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({
      ok: false,
      error: { code: "E_UNKNOWN_COMMAND", category: "usage", details: { suggestion: "export" } },
    });
  });

  it("treat 'help [command]' as '[command] --help'", async () => {
    const run = await runBooksnap(["help", "list"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("booksnap list [dir]");
    expect(run.stdout).toContain("Examples:");
  });

  it("ask for a command when none is given", async () => {
    const run = await runBooksnap([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Name a command: export, import");
  });
});
