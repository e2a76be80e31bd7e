import { parseArgs } from "node:util";
import { z } from "zod";

/** What one `npm run bench -- …` run measures. */
export interface BenchOptions {
  /** Books in the main dataset (users = books / 100, 3 lists per user, 10 entries per list). */
  books: number;
  /** Repeats of each timed measurement; the report shows the median. */
  repeat: number;
  /** Print the table only; leave docs/benchmarks.md alone (CI smoke run). */
  write: boolean;
  /** Dataset seed. */
  seed: number;
  /** Books written by the createMany reference (it is slow; default min(books, 10,000)). */
  createManyBooks: number;
  /** Import --batch-size values to sweep (empty: no sweep). */
  batchSizes: number[];
  /** Runs of each sweep point. */
  sweepRepeat: number;
  /** Extra dataset sizes at which one export and one import are run for peak RSS (e.g. 10k, 1M). */
  rssBooks: number[];
  /** Run one extra export and import under node --cpu-prof and summarise where the time goes. */
  profile: boolean;
  /** Markdown file the results go to. */
  docPath: string;
}

/** 1000, 10k, 1.5M, 1_000_000 → integers. */
const count = z
  .string()
  .trim()
  .regex(/^\d[\d_]*(\.\d+)?[kKmM]?$/, "expected a count like 1000, 10k or 1M")
  .transform((text) => {
    const unit = text.slice(-1).toLowerCase();
    const factor = unit === "k" ? 1_000 : unit === "m" ? 1_000_000 : 1;
    const digits = factor === 1 ? text : text.slice(0, -1);
    return Math.round(Number(digits.replace(/_/g, "")) * factor);
  })
  .pipe(z.number().int().positive());

const countList = z
  .string()
  .transform((text) => text.split(",").filter((part) => part.trim() !== ""))
  .pipe(z.array(count));

const schema = z
  .object({
    books: count.default(100_000),
    repeat: count.default(3),
    "no-write": z.boolean().default(false),
    seed: count.default(42),
    "create-many-books": count.optional(),
    "batch-sizes": countList.default([]),
    "sweep-repeat": count.default(1),
    "rss-books": countList.default([]),
    profile: z.boolean().default(false),
    doc: z.string().default("docs/benchmarks.md"),
  })
  .strict();

export const USAGE = `npm run bench -- [options]
  --books N              books in the dataset (default 100000; 10k / 1M accepted)
  --repeat R             repeats per measurement, median reported (default 3)
  --no-write             print the table only, do not rewrite docs/benchmarks.md
  --seed S               dataset seed (default 42)
  --create-many-books K  books for the createMany reference (default min(N, 10000))
  --batch-sizes a,b,c    sweep booksnap import --batch-size over these values
  --sweep-repeat R       runs per sweep point (default 1)
  --rss-books a,b        also export+import once at these sizes for peak RSS scaling (e.g. 10k,1M)
  --profile              one extra export and import under node --cpu-prof, summarised
  --doc PATH             results file (default docs/benchmarks.md)
Server: BENCH_DATABASE_URL (superuser URL of a disposable server) or an embedded PostgreSQL.`;

export function parseBenchArgs(argv: readonly string[]): BenchOptions | "help" {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      books: { type: "string" },
      repeat: { type: "string" },
      "no-write": { type: "boolean" },
      seed: { type: "string" },
      "create-many-books": { type: "string" },
      "batch-sizes": { type: "string" },
      "sweep-repeat": { type: "string" },
      "rss-books": { type: "string" },
      profile: { type: "boolean" },
      doc: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return "help";
  const { help: _help, ...rest } = values;
  const parsed = schema.safeParse(rest);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`bad bench options: ${problems}`);
  }
  const v = parsed.data;
  return {
    books: v.books,
    repeat: v.repeat,
    write: !v["no-write"],
    seed: v.seed,
    createManyBooks: v["create-many-books"] ?? Math.min(v.books, 10_000),
    batchSizes: v["batch-sizes"],
    sweepRepeat: v["sweep-repeat"],
    rssBooks: v["rss-books"],
    profile: v.profile,
    docPath: v.doc,
  };
}
