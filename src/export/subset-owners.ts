import { UsageError } from "../errors.js";
import type { TableDescription } from "../schema/description.js";
import type { OwnerRef } from "./selection.js";
import type { SubsetGraph } from "./subset-graph.js";
import { type Key, quoteIdent } from "./subset-keys.js";

/** An owner an `--owner` value named, as stored. */
export interface ResolvedOwner {
  /** The id column's value (text form). */
  id: string;
  /** The email column's value as stored; null without an email column. */
  email: string | null;
}

type Run = (text: string, values: string[]) => Promise<unknown[][]>;

/**
 * Finds the owner rows named by `--owner` ids and emails. Emails match exactly first (the
 * unique index on the email column answers that), and only the ones not found are matched
 * case-insensitively (lower() cannot use that index, so it scans the owners table once).
 */
export async function resolveOwnerRows(
  graph: SubsetGraph,
  refs: readonly OwnerRef[],
  run: Run,
  from: string,
): Promise<Array<ResolvedOwner & { key: Key }>> {
  const scope = graph.ownerScope();
  const table = graph.ownersTable();
  const idColumn = columnOf(table, scope.idColumn);
  const email = scope.emailColumn === null ? null : `o.${quoteIdent(scope.emailColumn)}`;
  const select =
    `SELECT ${graph.keySelect(table, "o")}, o.${quoteIdent(scope.idColumn)}::text AS owner_id,` +
    ` ${email ?? "NULL"}::text AS owner_email FROM ${from} o WHERE `;
  const found = new Map<Key, ResolvedOwner & { key: Key }>();
  const width = graph.rowKey(table).columns.length;
  const collect = (rows: unknown[][]) => {
    for (const row of rows) {
      const key = graph.keyFromRow(table, row);
      const [id, stored] = [row[width], row[width + 1]];
      found.set(key, { key, id: String(id), email: stored === null ? null : String(stored) });
    }
  };
  const ids = refs.flatMap((r) => (r.kind === "id" ? [String(r.id)] : []));
  const emails = refs.flatMap((r) => (r.kind === "email" ? [r.email] : []));
  if (ids.length > 0) {
    collect(
      await run(`${select}o.${quoteIdent(scope.idColumn)} = ANY($1::${idColumn.type.sql}[])`, [literal(ids)]),
    );
  }
  if (emails.length > 0) {
    if (email === null) {
      throw new UsageError(`--owner ${emails[0]}: owners in ${table.name} have no email column`, {
        code: "E_BAD_OWNER",
        hint: "Name owners by id, or set owners.emailColumn in booksnap.config.json.",
      });
    }
    collect(await run(`${select}${email} = ANY($1::text[])`, [literal(emails)]));
    const storedLower = () => new Set([...found.values()].map((o) => o.email?.toLowerCase()));
    const missing = emails.filter((e) => !storedLower().has(e.toLowerCase()));
    if (missing.length > 0) {
      collect(
        await run(`${select}lower(${email}) = ANY($1::text[])`, [
          literal(missing.map((e) => e.toLowerCase())),
        ]),
      );
    }
  }
  const knownIds = new Set([...found.values()].map((o) => o.id));
  const knownEmails = new Set([...found.values()].map((o) => o.email?.toLowerCase()));
  const unknown = refs.filter((r) =>
    r.kind === "id" ? !knownIds.has(String(r.id)) : !knownEmails.has(r.email.toLowerCase()),
  );
  if (unknown.length > 0) {
    throw new UsageError(`No such owner: ${unknown.map((r) => r.given).join(", ")}`, {
      code: "E_UNKNOWN_OWNER",
      hint: "Check the ids or emails given with --owner (emails are matched case-insensitively).",
      details: { unknown: unknown.map((r) => r.given) },
    });
  }
  return [...found.values()].sort((a, b) => compareIds(a.id, b.id));
}

function columnOf(table: TableDescription, name: string) {
  const column = table.columns.find((c) => c.name === name);
  if (!column) throw new Error(`owners table ${table.name} has no column ${name}`);
  return column;
}

/** PostgreSQL text[] literal. */
const literal = (texts: string[]) => `{${texts.map((t) => `"${t.replace(/[\\"]/g, "\\$&")}"`).join(",")}}`;

/** Numeric ids in numeric order, others in text order. */
function compareIds(a: string, b: string): number {
  const numeric = /^-?\d+$/.test(a) && /^-?\d+$/.test(b);
  const [x, y] = numeric ? [BigInt(a), BigInt(b)] : [a, b];
  return x < y ? -1 : x > y ? 1 : 0;
}
