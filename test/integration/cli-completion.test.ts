import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { CLI_PATH, runBooksnap } from "../helpers/cli.js";

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

  it("completes in a real bash: the installed script completes commands and flags", async () => {
    const bin = await mkdtemp(join(tmpdir(), "booksnap-completion-"));
    try {
      // What `npm link` / a global install provides: `booksnap` on the PATH.
      await writeFile(join(bin, "booksnap"), `#!/bin/sh\nexec "${process.execPath}" "${CLI_PATH}" "$@"\n`);
      await chmod(join(bin, "booksnap"), 0o755);
      const script = [
        "source <(booksnap completion)",
        'COMP_WORDS=(booksnap ex); COMP_CWORD=1; _booksnap_yargs_completions; echo "commands: $COMPREPLY"',
        'COMP_WORDS=(booksnap export --ow); COMP_CWORD=2; _booksnap_yargs_completions; echo "flags: $COMPREPLY"',
      ].join("\n");
      const { stdout } = await promisify(execFile)("bash", ["-c", script], {
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, SHELL: "/bin/bash", NO_COLOR: "1" },
      });
      expect(stdout).toContain("commands: export\n");
      expect(stdout).toContain("flags: --owner\n");
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  });
});
