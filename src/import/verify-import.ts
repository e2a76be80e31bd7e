import type pg from "pg";
import { copyOutLines } from "../db/copy-out.js";
import { VerificationError } from "../errors.js";
import { canonicalJson, ModelDigest } from "../snapshot/canonical.js";
import { canonicalJsonSql } from "../snapshot/canonical-sql.js";
import type { SnapshotManifestV1 as SnapshotManifest } from "../snapshot/manifest.js";
import { type ModelName, type ModelSpec, quoteIdent } from "../snapshot/models.js";
import { cursorRows } from "./cursor.js";
import { ENTRY_MAP, insertedRecordsSql, STAGED_MODELS, stagedFields } from "./staging.js";

/** One record whose imported form differs from what was staged. */
export interface RecordDifference {
  model: ModelName;
  sourceId: number;
  line: number;
  fields: string[];
}

export interface ModelVerification {
  /** Rows found in the target for the records that were to be inserted. */
  verified: number;
  /** Digest of the imported rows, ids turned back into source ids. */
  digest: string;
  /** What it was compared with: the manifest's digest, or (with rejects/skips/drift) the staged records'. */
  comparedWith: "manifest" | "staged";
  /** How: digest of PostgreSQL-built canonical JSON, of rows read into JS, or field-by-field against staging. */
  method: "sql" | "js" | "field-by-field";
}

export interface VerifyPlan {
  manifest: SnapshotManifest;
  devUserId: number;
  /** Snapshot fields the target lacks (drift policy): ignored on both sides. */
  droppedFields: Record<string, string[]>;
  /** Models where some records were rejected or skipped: compare with the staged digest. */
  partial: Record<string, boolean>;
  /** Rows per cursor fetch (rowsPerFetch of the snapshot's longest line). */
  fetchRows: number;
}

/**
 * Where a reference field's expected target id comes from in the verification query; the dev
 * user's id is `devUser` (a parameter, or a literal where COPY allows no parameters).
 */
function expectedTarget(spec: ModelSpec, field: string, devUser = "$1::int"): string {
  if (field === "ownerId") return devUser;
  if (spec.name === "BookInReadingList") return field === "bookId" ? "et.book_id" : "et.list_id";
  throw new Error(`no expected target for ${spec.name}.${field}`);
}

/**
 * Reads every imported row back (in source id order, through a cursor), turns its ids back into
 * source ids via staging, and compares it field by field and by digest with the staged record
 * and, when nothing was left out, with the manifest's digest. Also checks every reference: owners
 * are the dev user, list entries point at the remapped book and list. Throws VerificationError
 * naming the first differing records.
 */
interface ModelComparison {
  /** Rows found in the target. */
  verified: number;
  /** Digest of the imported rows (source ids). */
  imported: ModelDigest;
  /** Digest of the staged records (detailed mode only). */
  staged: ModelDigest;
  differences: RecordDifference[];
}

/**
 * Reads one model's imported rows (joined with staging for their source ids, in source id
 * order, through a cursor). `detailed` also reads the staged fields and compares field by field;
 * without it only the imported rows are digested (half the data: the common, nothing-left-out case).
 */
async function compareModel(
  client: pg.Client,
  spec: ModelSpec,
  plan: VerifyPlan,
  detailed: boolean,
): Promise<ModelComparison> {
  const dropped = new Set(plan.droppedFields[spec.name] ?? []);
  const fields = stagedFields(spec);
  const select: string[] = [];
  fields.forEach((f, i) => {
    if (detailed || f.references) select.push(`s.${quoteIdent(f.name)} AS s${i}`);
    if (!dropped.has(f.name)) select.push(`t.${quoteIdent(f.name)} AS t${i}`);
    if (f.references) select.push(`${expectedTarget(spec, f.name)} AS x${i}`);
  });
  const sql = `SELECT s.line, s.src_id, t.id AS t_id, ${select.join(", ")}
                 FROM ${insertedRecordsSql(spec.name)}
                 LEFT JOIN ${quoteIdent(spec.table)} t ON t.id = m.new_id
                ORDER BY s.src_id`;
  const out: ModelComparison = {
    verified: 0,
    imported: new ModelDigest(),
    staged: new ModelDigest(),
    differences: [],
  };
  for await (const row of cursorRows<Record<string, unknown>>(
    client,
    sql,
    sql.includes("$1") ? [plan.devUserId] : [],
    plan.fetchRows,
  )) {
    const sourceId = row.src_id as number;
    const expected: Record<string, unknown> = { id: sourceId };
    const actual: Record<string, unknown> = { id: sourceId };
    let badReference = false;
    fields.forEach((f, i) => {
      const stagedValue = dropped.has(f.name) ? null : row[`s${i}`];
      if (detailed) expected[f.name] = stagedValue;
      if (f.references) {
        // Ids are remapped: the row must point at the expected target row; shown as the source id.
        const ok = row[`t${i}`] === row[`x${i}`];
        if (!ok) badReference = true;
        actual[f.name] = ok ? stagedValue : `target id ${String(row[`t${i}`])}`;
      } else {
        actual[f.name] = dropped.has(f.name) ? null : row[`t${i}`];
      }
    });
    const expectedJson = detailed ? canonicalJson(spec, expected) : "";
    if (detailed) out.staged.addCanonical(expectedJson);
    if (row.t_id === null) {
      out.differences.push({ model: spec.name, sourceId, line: row.line as number, fields: ["(missing)"] });
      continue;
    }
    out.verified += 1;
    const actualJson = canonicalJson(spec, actual);
    out.imported.addCanonical(actualJson);
    if (detailed ? actualJson !== expectedJson : badReference) {
      const differing = spec.fields
        .filter((f) => f.references || detailed)
        .filter((f) => JSON.stringify(expected[f.name]) !== JSON.stringify(actual[f.name]))
        .map((f) => f.name);
      out.differences.push({ model: spec.name, sourceId, line: row.line as number, fields: differing });
    }
  }
  return out;
}

/** What the fast path streams instead of a row that is missing or points at the wrong target row. */
const BAD_ROW_MARKER = "reference check failed";

/**
 * The fast path: PostgreSQL builds each imported row's canonical JSON (ids as source ids) and
 * streams it with COPY; its bytes ("<json>\n" per row, in source id order) are exactly what the
 * digest hashes, so JS never turns them into strings. A row that is missing or whose references
 * point elsewhere than expected comes out as BAD_ROW_MARKER instead (not JSON: it can never
 * match the digest), so one pass checks both. Any disagreement is re-checked by the JS paths,
 * so a formatting difference could only cost time, never a wrong verdict.
 */
async function sqlDigest(
  client: pg.Client,
  spec: ModelSpec,
  plan: VerifyPlan,
): Promise<{ count: number; digest: string }> {
  if (!Number.isSafeInteger(plan.devUserId)) throw new Error(`not a user id: ${plan.devUserId}`);
  const devUser = `${plan.devUserId}::int`; // COPY takes no parameters
  const checks: string[] = ["t.id IS NOT NULL"];
  for (const f of spec.fields) {
    if (f.references) checks.push(`t.${quoteIdent(f.name)} = ${expectedTarget(spec, f.name, devUser)}`);
  }
  const json = canonicalJsonSql(spec, (f) =>
    f.name === "id" ? "s.src_id" : f.references ? `s.${quoteIdent(f.name)}` : `t.${quoteIdent(f.name)}`,
  );
  const sql = `SELECT CASE WHEN ${checks.join(" AND ")} THEN ${json} ELSE '${BAD_ROW_MARKER}' END
                 FROM ${insertedRecordsSql(spec.name)}
                 LEFT JOIN ${quoteIdent(spec.table)} t ON t.id = m.new_id
                ORDER BY s.src_id`;
  const digest = new ModelDigest();
  for await (const chunk of copyOutLines(client, sql)) digest.addCanonicalLines(chunk.bytes, chunk.lines);
  return { count: digest.count, digest: digest.digest() };
}

/**
 * Verifies, inside the final transaction, every imported record: read back with its ids turned
 * into source ids via staging, digested and compared with the manifest's digest (or, when records
 * were rejected/skipped or fields dropped, with the staged records, field by field); every
 * reference checked (owners are the dev user, entries point at the remapped book and list).
 * Throws VerificationError naming the first differing records.
 */
export async function verifyImported(
  client: pg.Client,
  plan: VerifyPlan,
): Promise<Record<string, ModelVerification>> {
  const results: Record<string, ModelVerification> = {};
  const differences: RecordDifference[] = [];
  const problems: string[] = [];
  for (const spec of STAGED_MODELS) {
    const fromManifest = !plan.partial[spec.name] && (plan.droppedFields[spec.name] ?? []).length === 0;
    const recorded = plan.manifest.models[spec.name];
    if (fromManifest) {
      const fast = await sqlDigest(client, spec, plan);
      if (fast.count === recorded.count && fast.digest === recorded.digest) {
        results[spec.name] = {
          verified: fast.count,
          digest: fast.digest,
          comparedWith: "manifest",
          method: "sql",
        };
        continue;
      }
    }
    let comparison = await compareModel(client, spec, plan, !fromManifest);
    let digest = comparison.imported.digest();
    if (fromManifest) {
      const matches =
        digest === recorded.digest &&
        comparison.verified === recorded.count &&
        comparison.differences.length === 0;
      if (!matches) {
        problems.push(
          `${spec.name}: ${comparison.verified} imported rows with digest ${digest}, the manifest lists ${recorded.count} with ${recorded.digest}`,
        );
        // Find out which records differ.
        comparison = await compareModel(client, spec, plan, true);
        digest = comparison.imported.digest();
      }
    } else if (digest !== comparison.staged.digest() || comparison.differences.length > 0) {
      problems.push(`${spec.name}: the imported rows differ from the staged records`);
    }
    differences.push(...comparison.differences);
    results[spec.name] = {
      verified: comparison.verified,
      digest,
      comparedWith: fromManifest ? "manifest" : "staged",
      method: fromManifest ? "js" : "field-by-field",
    };
  }
  const orphans = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM "BookInReadingList" e JOIN ${ENTRY_MAP} em ON em.new_id = e.id AND NOT em.existing
       LEFT JOIN "Book" b ON b.id = e."bookId" LEFT JOIN "ReadingList" l ON l.id = e."readingListId"
      WHERE b.id IS NULL OR l.id IS NULL OR b."ownerId" <> $1 OR l."ownerId" <> $1`,
    [plan.devUserId],
  );
  const orphanCount = Number(orphans.rows[0]?.n ?? 0);
  if (orphanCount > 0)
    problems.push(`${orphanCount} imported list entries point outside the dev user's books and lists`);
  if (differences.length > 0 || problems.length > 0) {
    const first = differences.slice(0, 5);
    const described = first.map((d) => `${d.model} ${d.sourceId} (line ${d.line}): ${d.fields.join(", ")}`);
    throw new VerificationError(
      "E_VERIFY_MISMATCH",
      `Verification failed, nothing was changed: ${[...problems, ...described].join("; ")}`,
      {
        hint: "The import was rolled back. This is a bug or a target-side trigger/default rewriting values; report it with the snapshot.",
        details: { problems, differences: first, differenceCount: differences.length },
      },
    );
  }
  return results;
}
