import type { ModelName } from "../snapshot/models.js";
import type { DemoDeps } from "./demo.js";

/** What the demo's import step did. */
export interface DemoImport {
  /** One line for the demo's report. */
  summary: string;
  /** Models whose row counts in "dev" must equal the snapshot's after the import. */
  modelsCompared: ModelName[];
  /** The import core's own summary, as returned. */
  details?: Record<string, unknown>;
}

/** Imports the snapshot into the demo's dev database for its one dev user. */
export async function importIntoDev(
  _snapshot: string,
  _devUrl: string,
  _devUserEmail: string,
  _deps: DemoDeps,
): Promise<DemoImport> {
  // Wired to importSnapshot (src/import/) once it is part of the public API.
  return { summary: "import is not available in this build yet", modelsCompared: [] };
}
