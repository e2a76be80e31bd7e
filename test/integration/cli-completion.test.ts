import { describe, expect, it } from "vitest";
import { runBooksnap } from "../helpers/cli.js";

describe("shell completion", () => {
  it("prints a bash completion script that asks booksnap for candidates", async () => {
    const run = await runBooksnap(["completion"], { env: { SHELL: "/bin/bash", ZSH_NAME: undefined } });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "complete -o bashdefault -o default -F _booksnap_yargs_completions booksnap",
    );
    expect(run.stdout).toContain("booksnap --get-yargs-completions");
  });

  it("prints a zsh script when the shell is zsh", async () => {
    const run = await runBooksnap(["completion"], { env: { SHELL: "/usr/bin/zsh" } });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("#compdef booksnap");
    expect(run.stdout).toContain("compdef _booksnap_yargs_completions booksnap");
  });

  it("completes command names and a command's flags", async () => {
    const commands = await runBooksnap(["--get-yargs-completions", "booksnap", ""], {
      env: { SHELL: "/bin/bash" },
    });
    expect(commands.code).toBe(0);
    const names = commands.stdout.split("\n");
    for (const name of ["export", "import", "verify", "inspect", "list", "demo"])
      expect(names).toContain(name);
    const flags = await runBooksnap(["--get-yargs-completions", "booksnap", "export", "--"], {
      env: { SHELL: "/bin/bash" },
    });
    expect(flags.stdout.split("\n")).toEqual(expect.arrayContaining(["--owner", "--from-env", "--json"]));
  });
});
