import { describe, expect, it } from "vitest";
import { runBooksnap } from "../helpers/cli.js";

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
});
