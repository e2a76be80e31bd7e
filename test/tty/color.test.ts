import { afterEach, describe, expect, it } from "vitest";
import { TmuxTerminal } from "./tmux.js";

const RED = "\u001b[31m";

const terminals: TmuxTerminal[] = [];
afterEach(async () => {
  for (const term of terminals.splice(0)) await term.close();
});

async function errorScreen(env: Record<string, string>, extraArgs: string[] = []): Promise<string> {
  const term = await TmuxTerminal.start(["exprt", ...extraArgs], { env });
  terminals.push(term);
  expect(await term.exitCode()).toBe(2);
  await term.waitFor("Unknown command 'exprt'");
  return term.screen({ escapes: true });
}

describe("colour in a real terminal", () => {
  it("is on by default on a TTY", async () => {
    expect(await errorScreen({})).toContain(`${RED}error`);
  });

  // (TERM=dumb cannot be tested here: tmux sets TERM for the pane itself.)
  it("is off with NO_COLOR and with --no-color", async () => {
    for (const screen of [await errorScreen({ NO_COLOR: "1" }), await errorScreen({}, ["--no-color"])]) {
      expect(screen).toContain("error [E_UNKNOWN_COMMAND]");
      expect(screen).not.toContain(RED);
    }
  });
});
