import { importSnapshot } from "../import/import.js";
import type { ModelName } from "../snapshot/models.js";
import type { DemoDeps } from "./demo.js";

/** What the demo's import step did. */
export interface DemoImport {
  /** One line for the demo's report. */
  summary: string;
  /** Models whose row counts in "dev" must equal the snapshot's after the import. */
  modelsCompared: ModelName[];
  /** Rows imported per model, as the import core reports them. */
  imported: Record<string, number>;
  /**
   * Records per model combined into another row by the app's per-owner rules (the generated users
   * each have favourites lists; collapsed onto one dev user, those of one kind become one list).
   */
  combined: Record<string, number>;
  /** Batches committed to staging, and how many were retried. */
  batches: number;
  retried: number;
}

/**
 * Imports the snapshot into the demo's dev database for its one dev user, in replace mode,
 * exactly as `booksnap import <snapshot> --user <email> --yes` would. Users are not copied
 * (their books and lists are remapped onto the dev user), so only the other models' counts
 * are compared afterwards.
 */
export async function importIntoDev(
  snapshot: string,
  devUrl: string,
  devUserEmail: string,
  deps: DemoDeps,
): Promise<DemoImport> {
  const summary = await importSnapshot(
    { snapshot, targetUrl: devUrl, user: devUserEmail, mode: "replace", yes: true, tls: "disable" },
    { now: deps.now, signal: deps.signal ?? new AbortController().signal },
  );
  const imported = Object.fromEntries(Object.entries(summary.models).map(([m, c]) => [m, c.imported]));
  const rows = Object.values(imported).reduce((sum, n) => sum + n, 0);
  const combined = Object.fromEntries(Object.entries(summary.models).map(([m, c]) => [m, c.combined]));
  return {
    summary: `imported ${rows.toLocaleString("en-US")} rows into "dev" for ${summary.user?.email ?? "the snapshot's owners"} in ${summary.batches} batch(es), verified counts and digests before commit`,
    modelsCompared: ["Book", "ReadingList", "BookInReadingList"],
    imported,
    combined,
    batches: summary.batches,
    retried: summary.retried,
  };
}
