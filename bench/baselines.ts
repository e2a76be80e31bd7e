import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MODELS, type ModelSpec, quoteIdent, selectList } from "../src/snapshot/models.js";
import { type ChildRun, runChildOk } from "./measure.js";

/**
 * The physical paths users compare booksnap with: psql's \copy (COPY through the client, text
 * format) and pg_dump -Fc. Each runs as the real tools, as child processes.
 */

const PSQL = ["-X", "-q", "-v", "ON_ERROR_STOP=1"];

/** The models an import writes: the dev user owns everything, so User rows are not loaded. */
export const IMPORTED_MODELS: readonly ModelSpec[] = MODELS.filter((m) => m.name !== "User");

function exportSelect(spec: ModelSpec): string {
  return `SELECT ${selectList(spec)} FROM ${quoteIdent(spec.table)} ORDER BY "id"`;
}

/**
 * `psql \copy (SELECT …) TO STDOUT | zstd -3` of all four tables, in one REPEATABLE READ READ ONLY
 * transaction and in id order like booksnap export, into one compressed file.
 */
export async function copyExportToZstd(url: string, workDir: string, out: string): Promise<ChildRun> {
  const script = join(workDir, "copy-export.sql");
  await writeFile(
    script,
    [
      "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;",
      ...MODELS.map((spec) => `\\copy (${exportSelect(spec)}) TO STDOUT`),
      "COMMIT;",
      "",
    ].join("\n"),
  );
  return runChildOk(
    "bash",
    ["-c", 'set -o pipefail; psql "$@" -f "$SCRIPT" -d "$URL" | zstd -3 -q -f -o "$OUT"', "bash", ...PSQL],
    { env: { SCRIPT: script, URL: url, OUT: out } },
  );
}

/** Per-table files (zstd -3 of COPY text) holding the rows exactly as an import leaves them in the dev database. */
export interface CopyImportFiles {
  files: Array<{ spec: ModelSpec; path: string }>;
}

/**
 * Prepares (untimed) the input of the COPY import baseline: the imported models' rows from the
 * production database with ownerId already set to the dev user, one compressed file per table.
 */
export async function prepareCopyImportFiles(
  prodUrl: string,
  workDir: string,
  devUserId: number,
): Promise<CopyImportFiles> {
  const files: CopyImportFiles["files"] = [];
  for (const spec of IMPORTED_MODELS) {
    const columns = spec.fields
      .map((f) => (f.name === "ownerId" ? `${devUserId}::int AS "ownerId"` : quoteIdent(f.name)))
      .join(", ");
    const path = join(workDir, `copy-import-${spec.table}.txt.zst`);
    await runChildOk(
      "bash",
      ["-c", 'set -o pipefail; psql "$@" -d "$URL" -c "$COPY" | zstd -3 -q -f -o "$OUT"', "bash", ...PSQL],
      {
        env: {
          URL: prodUrl,
          COPY: `\\copy (SELECT ${columns} FROM ${quoteIdent(spec.table)} ORDER BY "id") TO STDOUT`,
          OUT: path,
        },
      },
    );
    files.push({ spec, path });
  }
  return { files };
}

/**
 * `psql \copy … FROM` of those files into a prepared dev database (same tables, indexes and
 * foreign keys as booksnap imports into), all in one transaction, decompressing on the way like
 * booksnap import does.
 */
export async function copyImportFromZstd(
  devUrl: string,
  workDir: string,
  input: CopyImportFiles,
): Promise<ChildRun> {
  const script = join(workDir, "copy-import.sql");
  await writeFile(
    script,
    [
      "BEGIN;",
      ...input.files.map(
        ({ spec, path }) =>
          `\\copy ${quoteIdent(spec.table)} (${spec.fields.map((f) => quoteIdent(f.name)).join(", ")}) FROM PROGRAM 'zstd -dcq ${path}'`,
      ),
      "COMMIT;",
      "",
    ].join("\n"),
  );
  return runChildOk("psql", [...PSQL, "-d", devUrl, "-f", script]);
}

/** `pg_dump -Fc` of the four tables (data and definitions); returns the run and the dump's size. */
export async function pgDumpCustom(url: string, out: string): Promise<{ run: ChildRun; bytes: number }> {
  const tables = MODELS.flatMap((spec) => ["-t", `public.${quoteIdent(spec.table)}`]);
  const run = await runChildOk("pg_dump", ["-Fc", ...tables, "-f", out, "-d", url]);
  return { run, bytes: (await stat(out)).size };
}

export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}
