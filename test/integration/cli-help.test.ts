import { describe, expect, it } from "vitest";
import type { CommandContext } from "../../src/cli/context.js";
import { COMMANDS } from "../../src/cli/main.js";
import { runBooksnap } from "../helpers/cli.js";

/** The names of every registered command, read from the same COMMANDS list the CLI uses. */
function commandNames(): string[] {
  const ctx = {} as CommandContext;
  return COMMANDS.map((factory) => {
    const spec = factory(ctx).command;
    return String(Array.isArray(spec) ? spec[0] : spec).split(/\s+/)[0] ?? "";
  });
}

describe("--help", () => {
  it("registers the newcomer commands next to export and import", () => {
    expect(commandNames()).toEqual(expect.arrayContaining(["export", "import", "verify", "list", "demo"]));
  });

  it.each(commandNames())("'%s --help' shows usage and at least one example, exit 0", async (name) => {
    const run = await runBooksnap([name, "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`booksnap ${name}`);
    const examples = run.stdout.split("\nExamples:\n")[1];
    expect(examples, `${name} --help has no Examples: section`).toBeDefined();
    expect(examples).toMatch(new RegExp(`booksnap ${name}\\b`));
    expect(run.stdout).toContain("--json");
  });

  it("top-level help lists every command, examples and the exit codes", async () => {
    const run = await runBooksnap(["--help"]);
    expect(run.code).toBe(0);
    for (const name of commandNames()) expect(run.stdout).toContain(`booksnap ${name}`);
    expect(run.stdout).toContain("Examples:");
    expect(run.stdout).toContain("booksnap demo");
    expect(run.stdout).toMatch(/Exit codes: 0 ok, 1 unexpected, 2 usage/);
  });

  it("--version prints the package version", async () => {
    const run = await runBooksnap(["--version"]);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
