import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import yargs from "yargs";
import type { CommandContext } from "../../src/cli/context.js";
import { COMMANDS } from "../../src/cli/main.js";
import { ExitCode } from "../../src/errors.js";

/** The README documents behaviour; these checks fail when the two drift apart. */
const readme = await readFile(join(import.meta.dirname, "..", "..", "README.md"), "utf8");

function commands() {
  const ctx = {} as CommandContext;
  return COMMANDS.map((factory) => {
    const module = factory(ctx);
    const spec = String(Array.isArray(module.command) ? module.command[0] : module.command);
    const probe = yargs([]);
    if (typeof module.builder === "function") module.builder(probe as never);
    const options = Object.keys(
      (probe as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key,
    ).filter((key) => !/[A-Z]/.test(key) && !["help", "version", "$0"].includes(key));
    const positionals = [...spec.matchAll(/[<[](\w+)[\]>]/g)].map((m) => m[1] as string);
    return { name: spec.split(" ")[0] as string, options: options.filter((o) => !positionals.includes(o)) };
  });
}

/** The README section of one command's flag table. */
function section(name: string): string {
  const start = readme.indexOf(`#### \`booksnap ${name}\``);
  if (start < 0) return "";
  const next = readme.indexOf("\n#", start + 5);
  return readme.slice(start, next < 0 ? undefined : next);
}

describe("README", () => {
  it("starts with the two set-up commands: install + demo, and the tests", () => {
    const firstBlock = readme.split("```sh\n")[1]?.split("```")[0] ?? "";
    const lines = firstBlock.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^npm install && npm run demo\b/);
    expect(lines[1]).toMatch(/^npm test\b/);
  });

  it.each(commands())(
    "lists every flag of booksnap $name in its configuration table",
    ({ name, options }) => {
      const table = section(name);
      expect(table, `README has no table for booksnap ${name}`).not.toBe("");
      const missing = options.filter((option) => !table.includes(`\`--${option}\``));
      expect(missing, `flags of booksnap ${name} missing from README`).toEqual([]);
    },
  );

  it("documents exactly the exit codes of src/errors.ts", () => {
    const table = readme.slice(readme.indexOf("## Exit codes"), readme.indexOf("## Troubleshooting"));
    const documented = [...table.matchAll(/^\| (\d+)\s+\|/gm)].map((m) => Number(m[1]));
    expect(documented).toEqual(Object.values(ExitCode));
  });

  it("documents every environment variable booksnap reads", () => {
    for (const name of [
      "DEWEY_DB_DATABASE_URL_READONLY",
      "DEWEY_DB_DATABASE_URL",
      "SYNC_BATCH_SIZE",
      "SYNC_MAX_RETRIES",
      "SYNC_TIMEOUT_MS",
      "BOOKSNAP_REDACTION_KEY",
      "BOOKSNAP_CONFIG_DIR",
      "BOOKSNAP_PASSPHRASE",
      "BOOKSNAP_S3_ENDPOINT",
      "NO_COLOR",
      "PGHOST",
      "PGPORT",
      "TEST_DATABASE_URL",
      "BENCH_DATABASE_URL",
    ]) {
      expect(readme).toMatch(new RegExp(`^\\| (\`\\w+\`, )*\`${name}\`[,\\s]+`, "m"));
    }
  });
});
