import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ModelName } from "../src/snapshot/models.js";
import type { BenchOptions } from "./args.js";
import {
  copyExportToZstd,
  copyImportFromZstd,
  fileSize,
  pgDumpCustom,
  prepareCopyImportFiles,
} from "./baselines.js";
import { booksnapExport, booksnapImport, type CliRunOptions, cliHas, jsonResult } from "./booksnap.js";
import { CREATE_MANY_BATCH, createManyReference } from "./create-many.js";
import {
  type BenchDatabase,
  type DatabaseRegistry,
  libraryShape,
  prepareDevDatabase,
  seedProduction,
  tableCounts,
} from "./databases.js";
import { type ChildRun, median, timed } from "./measure.js";
import { type ProfileSummary, summariseCpuProfile } from "./profile.js";
import { resetStatementStats, type StatementTime, topStatements } from "./statements.js";

/** Timings of one contender: every run, the median, and booksnap's peak RSS per run. */
export interface Sample {
  runsMs: number[];
  medianMs: number;
  peakRssBytes: number[];
}

export interface RssPoint {
  books: number;
  exportPeakBytes?: number;
  importPeakBytes?: number;
  exportMs?: number;
  importMs?: number;
}

export interface SweepPoint {
  batchSize: number;
  sample: Sample;
  peakRssBytes?: number;
}

export interface BenchResults {
  books: number;
  seed: number;
  repeat: number;
  counts: Record<ModelName, number>;
  seedMs: number;
  /** Rows each export moves (all four tables). */
  exportRows: number;
  /** Rows each import writes (books, lists, entries; the dev user owns them). */
  importRows: number;
  export: { booksnap: Sample; copy: Sample } | { skipped: string };
  import: { booksnap: Sample; copy: Sample } | { skipped: string; copy?: Sample };
  createMany: { books: number; rows: number; ms: number; batch: number };
  sizes: {
    snapshotBytes?: number;
    manifestBytes?: number;
    copyZstdBytes: number;
    pgDump?: { bytes: number; ms: number } | { skipped: string };
  };
  rss: RssPoint[];
  sweep: SweepPoint[];
  profiles: { export?: ProfileSummary; import?: ProfileSummary };
  /** Server time by statement during the profiled runs (pg_stat_statements), when available. */
  serverProfiles: { export?: StatementTime[]; import?: StatementTime[] };
  /** Import batch size booksnap used when no --batch-size is given (from its JSON summary, if shown). */
  importDefaultBatch?: number;
}

export interface SuiteContext {
  options: BenchOptions;
  /** Superuser URL of the server's postgres database. */
  adminUrl: string;
  registry: DatabaseRegistry;
  workDir: string;
  /** Whether pg_dump can dump this server (its major version is not older). */
  pgDumpUsable: true | string;
  log: (message: string) => void;
}

const sample = (runs: ChildRun[] | Array<{ ms: number; peakRssBytes?: number }>): Sample => ({
  runsMs: runs.map((r) => r.ms),
  medianMs: median(runs.map((r) => r.ms)),
  peakRssBytes: runs.map((r) => r.peakRssBytes).filter((v): v is number => v !== undefined),
});

const sum = (counts: Record<ModelName, number>, models: readonly ModelName[]) =>
  models.reduce((total, m) => total + counts[m], 0);

const IMPORTED: readonly ModelName[] = ["Book", "ReadingList", "BookInReadingList"];

/** Fresh dev database (migrations + one dev user) for one run; dropped by the caller. */
async function freshDev(ctx: SuiteContext): Promise<{ db: BenchDatabase; devUserId: number }> {
  const db = await ctx.registry.create("dev");
  const devUserId = await prepareDevDatabase(db.url);
  return { db, devUserId };
}

/**
 * Checks that an import really wrote the expected rows (a bench of a broken import is worthless).
 * For a booksnap run, records its summary says were combined by the app's per-owner rules (the
 * generated owners' favourites lists, collapsed onto the dev user) are not rows of their own.
 */
async function expectImported(
  url: string,
  counts: Record<ModelName, number>,
  what: string,
  run?: ChildRun,
): Promise<void> {
  const got = await tableCounts(url);
  const models = (run ? jsonResult(run)?.models : undefined) as
    | Record<string, { combined?: number }>
    | undefined;
  for (const model of IMPORTED) {
    const expected = counts[model] - (models?.[model]?.combined ?? 0);
    if (got[model] !== expected) {
      throw new Error(`${what}: ${model} has ${got[model]} rows, expected ${expected}`);
    }
  }
}

/** Everything measured at the main size N. */
export async function runSuite(ctx: SuiteContext): Promise<BenchResults> {
  const { options, registry, workDir, log } = ctx;
  const rssDir = join(workDir, "rss");
  const snapshotDir = join(workDir, "snapshots");
  await mkdir(rssDir, { recursive: true });
  await mkdir(snapshotDir, { recursive: true });
  const cli: CliRunOptions = { cwd: workDir, rssDir };

  log(`seeding prod with ${options.books.toLocaleString("en-US")} books`);
  const prod = await registry.create("prod");
  const seeded = await timed(() => seedProduction(prod.url, libraryShape(options.books, options.seed)));
  const counts = seeded.value;
  const exportRows = sum(counts, ["User", ...IMPORTED]);
  const importRows = sum(counts, IMPORTED);
  log(`seeded ${JSON.stringify(counts)} in ${(seeded.ms / 1000).toFixed(1)} s`);

  const hasExport = await cliHas("export");
  // BENCH_SKIP_IMPORT=1: export-side work on a branch whose import does not read what its export writes yet.
  const hasImport = process.env.BENCH_SKIP_IMPORT === "1" ? false : await cliHas("import");

  // 1. export vs COPY | zstd, alternating so neither always runs on a warmer cache.
  const copyZstd = join(workDir, "copy-export.txt.zst");
  const copyExportRuns: ChildRun[] = [];
  const exportRuns: ChildRun[] = [];
  for (let r = 0; r < options.repeat; r++) {
    copyExportRuns.push(await copyExportToZstd(prod.url, workDir, copyZstd));
    if (hasExport) exportRuns.push(await booksnapExport(prod.url, snapshotDir, "bench", cli));
    log(
      `export run ${r + 1}/${options.repeat}: COPY|zstd ${fmtS(copyExportRuns.at(-1)?.ms)}, booksnap ${fmtS(exportRuns.at(-1)?.ms)}`,
    );
  }
  const snapshotData = join(snapshotDir, "bench.ndjson.zst");
  const snapshotManifest = join(snapshotDir, "bench.manifest.json");

  // 5. sizes
  const sizes: BenchResults["sizes"] = { copyZstdBytes: await fileSize(copyZstd) };
  if (hasExport) {
    sizes.snapshotBytes = await fileSize(snapshotData);
    sizes.manifestBytes = await fileSize(snapshotManifest);
  }
  if (ctx.pgDumpUsable === true) {
    const dump = await pgDumpCustom(prod.url, join(workDir, "prod.dump"));
    sizes.pgDump = { bytes: dump.bytes, ms: dump.run.ms };
    await rm(join(workDir, "prod.dump"), { force: true });
  } else {
    sizes.pgDump = { skipped: ctx.pgDumpUsable };
  }

  // 2. import vs COPY FROM, each into its own fresh dev database.
  const probe = await freshDev(ctx);
  const copyInput = await prepareCopyImportFiles(prod.url, workDir, probe.devUserId);
  await registry.drop(probe.db);
  const copyImportRuns: ChildRun[] = [];
  const importRuns: ChildRun[] = [];
  let importDefaultBatch: number | undefined;
  for (let r = 0; r < options.repeat; r++) {
    const forCopy = await freshDev(ctx);
    copyImportRuns.push(await copyImportFromZstd(forCopy.db.url, workDir, copyInput));
    await expectImported(forCopy.db.url, counts, "COPY import");
    await registry.drop(forCopy.db);
    if (hasExport && hasImport) {
      const forBooksnap = await freshDev(ctx);
      const run = await booksnapImport(snapshotData, forBooksnap.db.url, undefined, cli);
      importRuns.push(run);
      importDefaultBatch ??= batchSizeOf(jsonResult(run));
      await expectImported(forBooksnap.db.url, counts, "booksnap import", run);
      await registry.drop(forBooksnap.db);
    }
    log(
      `import run ${r + 1}/${options.repeat}: COPY ${fmtS(copyImportRuns.at(-1)?.ms)}, booksnap ${fmtS(importRuns.at(-1)?.ms)}`,
    );
  }

  // 3. createMany reference (on fewer rows when N is large: it is slow).
  const forPrisma = await freshDev(ctx);
  const createManyBooks = Math.min(options.createManyBooks, options.books);
  log(`createMany reference on ${createManyBooks.toLocaleString("en-US")} books`);
  const createMany = await createManyReference(
    forPrisma.db.url,
    forPrisma.devUserId,
    libraryShape(createManyBooks, options.seed),
  );
  await registry.drop(forPrisma.db);

  // batch-size sweep
  const sweep: SweepPoint[] = [];
  if (hasExport && hasImport) {
    for (const batchSize of options.batchSizes) {
      const runs: ChildRun[] = [];
      for (let r = 0; r < options.sweepRepeat; r++) {
        const dev = await freshDev(ctx);
        const run = await booksnapImport(snapshotData, dev.db.url, batchSize, cli);
        runs.push(run);
        await expectImported(dev.db.url, counts, `booksnap import --batch-size ${batchSize}`, run);
        await registry.drop(dev.db);
      }
      sweep.push({ batchSize, sample: sample(runs), peakRssBytes: Math.max(...sample(runs).peakRssBytes) });
      log(`sweep --batch-size ${batchSize}: ${fmtS(median(runs.map((r) => r.ms)))}`);
    }
  }

  // profiles (not timed: the profiler itself slows the process)
  const profiles: BenchResults["profiles"] = {};
  const serverProfiles: BenchResults["serverProfiles"] = {};
  if (options.profile && hasExport) {
    const dir = join(workDir, "prof-export");
    const stats = await resetStatementStats(ctx.adminUrl);
    await booksnapExport(prod.url, snapshotDir, "bench-prof", {
      ...cli,
      nodeFlags: ["--cpu-prof", "--cpu-prof-dir", dir],
    });
    profiles.export = await summariseCpuProfile(dir);
    if (stats) serverProfiles.export = await topStatements(ctx.adminUrl);
    if (hasImport) {
      const idir = join(workDir, "prof-import");
      const dev = await freshDev(ctx);
      const istats = await resetStatementStats(ctx.adminUrl);
      await booksnapImport(snapshotData, dev.db.url, undefined, {
        ...cli,
        nodeFlags: ["--cpu-prof", "--cpu-prof-dir", idir],
      });
      if (istats) serverProfiles.import = await topStatements(ctx.adminUrl);
      await registry.drop(dev.db);
      profiles.import = await summariseCpuProfile(idir);
    }
  }
  await registry.drop(prod);

  const rss: RssPoint[] = [];
  if (hasExport) {
    rss.push({
      books: options.books,
      exportPeakBytes: Math.max(...sample(exportRuns).peakRssBytes),
      exportMs: median(exportRuns.map((r) => r.ms)),
      ...(importRuns.length > 0
        ? {
            importPeakBytes: Math.max(...sample(importRuns).peakRssBytes),
            importMs: median(importRuns.map((r) => r.ms)),
          }
        : {}),
    });
    for (const books of options.rssBooks) {
      if (books === options.books) continue;
      rss.push(await rssPoint(ctx, books, hasImport));
    }
    rss.sort((a, b) => a.books - b.books);
  }

  return {
    books: options.books,
    seed: options.seed,
    repeat: options.repeat,
    counts,
    seedMs: seeded.ms,
    exportRows,
    importRows,
    export: hasExport
      ? { booksnap: sample(exportRuns), copy: sample(copyExportRuns) }
      : { skipped: "booksnap export is not built" },
    import:
      hasExport && hasImport
        ? { booksnap: sample(importRuns), copy: sample(copyImportRuns) }
        : { skipped: "booksnap import is not built", copy: sample(copyImportRuns) },
    createMany: {
      books: createManyBooks,
      rows: createMany.rows,
      ms: createMany.ms,
      batch: CREATE_MANY_BATCH,
    },
    sizes,
    rss,
    sweep,
    profiles,
    serverProfiles,
    ...(importDefaultBatch === undefined ? {} : { importDefaultBatch }),
  };
}

/** One export and one import at another size, for the peak-RSS scaling figure. */
async function rssPoint(ctx: SuiteContext, books: number, hasImport: boolean): Promise<RssPoint> {
  const { registry, workDir, log, options } = ctx;
  const dir = await mkdtemp(join(workDir, `rss-${books}-`));
  const cli: CliRunOptions = { cwd: workDir, rssDir: dir };
  log(`peak RSS at ${books.toLocaleString("en-US")} books: seeding`);
  const prod = await registry.create("prod");
  const counts = await seedProduction(prod.url, libraryShape(books, options.seed));
  const exported = await booksnapExport(prod.url, dir, "rss", cli);
  await registry.drop(prod);
  const point: RssPoint = { books, exportPeakBytes: exported.peakRssBytes, exportMs: exported.ms };
  if (hasImport) {
    const dev = await freshDev(ctx);
    const imported = await booksnapImport(join(dir, "rss.ndjson.zst"), dev.db.url, undefined, cli);
    await expectImported(dev.db.url, counts, `booksnap import at ${books}`, imported);
    await registry.drop(dev.db);
    point.importPeakBytes = imported.peakRssBytes;
    point.importMs = imported.ms;
  }
  await rm(dir, { recursive: true, force: true });
  log(
    `peak RSS at ${books}: export ${fmtMb(point.exportPeakBytes)} (${fmtS(point.exportMs)}), import ${fmtMb(point.importPeakBytes)} (${fmtS(point.importMs)})`,
  );
  return point;
}

function batchSizeOf(result: Record<string, unknown> | undefined): number | undefined {
  const value = result?.batchSize;
  return typeof value === "number" ? value : undefined;
}

export const fmtS = (ms: number | undefined) => (ms === undefined ? "-" : `${(ms / 1000).toFixed(2)} s`);
export const fmtMb = (bytes: number | undefined) =>
  bytes === undefined ? "-" : `${(bytes / 1_000_000).toFixed(0)} MB`;
