import type pg from "pg";
import { UsageError } from "../errors.js";
import { type ModelName, type ModelSpec, quoteIdent } from "../snapshot/models.js";

/**
 * Which rows an export reads. Without owners: everything. With owners: their books, reading
 * lists and list entries, plus every book an exported entry points at (closure under references)
 * and the owners of all exported books. Expressed as WHERE clauses over the live tables, so the
 * whole selection is evaluated inside the export's one REPEATABLE READ snapshot (a read-only
 * transaction cannot create temporary tables).
 */
export interface Selection {
  /** Owner ids the export is limited to; undefined = no filter. */
  ownerIds: number[] | undefined;
}

/** An --owner value: a numeric user id or an email address. */
export type OwnerRef =
  | { kind: "id"; id: number; given: string }
  | { kind: "email"; email: string; given: string };

const INT32_MAX = 2147483647;

export function parseOwnerRefs(values: readonly string[]): OwnerRef[] {
  return values.map((raw) => {
    const given = raw.trim();
    if (/^\d+$/.test(given)) {
      const id = Number(given);
      if (id < 1 || id > INT32_MAX) throw badOwner(raw);
      return { kind: "id", id, given };
    }
    if (/^[^\s@]+@[^\s@]+$/.test(given)) return { kind: "email", email: given, given };
    throw badOwner(raw);
  });
}

function badOwner(raw: string): UsageError {
  return new UsageError(`--owner ${JSON.stringify(raw)} is neither a user id nor an email address`, {
    code: "E_BAD_OWNER",
    hint: "Pass a numeric user id (--owner 42) or an email (--owner reader@example.com); repeat for several.",
  });
}

export interface ResolvedOwners {
  /** Owner ids, ascending, each once. */
  ids: number[];
  /** The stored email for each --owner email (lower-cased as given → as stored). */
  storedEmail: Map<string, string>;
}

/** Looks the owners up (inside the export transaction); unknown owners are a usage error. */
export async function resolveOwners(client: pg.Client, refs: readonly OwnerRef[]): Promise<ResolvedOwners> {
  const ids = refs.flatMap((r) => (r.kind === "id" ? [r.id] : []));
  const emails = refs.flatMap((r) => (r.kind === "email" ? [r.email] : []));
  const { rows } = await client.query<{ id: number; email: string }>(
    `SELECT id, email FROM "User" WHERE id = ANY($1::int[]) OR lower(email) = ANY($2::text[])`,
    [ids, emails.map((e) => e.toLowerCase())],
  );
  const knownIds = new Set(rows.map((r) => r.id));
  const knownEmails = new Set(rows.map((r) => r.email.toLowerCase()));
  const unknown = refs.filter((r) =>
    r.kind === "id" ? !knownIds.has(r.id) : !knownEmails.has(r.email.toLowerCase()),
  );
  if (unknown.length > 0) {
    throw new UsageError(`No such owner: ${unknown.map((r) => r.given).join(", ")}`, {
      code: "E_UNKNOWN_OWNER",
      hint: "Check the user ids or emails given with --owner (emails are matched case-insensitively).",
      details: { unknown: unknown.map((r) => r.given) },
    });
  }
  return {
    ids: [...new Set(rows.map((r) => r.id))].sort((a, b) => a - b),
    storedEmail: new Map(rows.map((r) => [r.email.toLowerCase(), r.email])),
  };
}

/**
 * The WHERE clause of each model's selection, over the owner ids given as an SQL int[] expression
 * (`$1::int[]` for a parameterised query; an array literal where parameters are not allowed, as in COPY).
 */
function filters(owners: string): Record<ModelName, string> {
  /** Ids of every exported book. */
  const books = `SELECT b.id FROM "Book" b WHERE b."ownerId" = ANY(${owners}) OR b.id IN (${referencedBooks(owners)})`;
  return {
    User: `"id" = ANY(${owners}) OR "id" IN (SELECT b."ownerId" FROM "Book" b WHERE b.id IN (${books}))`,
    Book: `"id" IN (${books})`,
    ReadingList: `"ownerId" = ANY(${owners})`,
    BookInReadingList: `"readingListId" IN (${exportedLists(owners)})`,
  };
}

/** Ids of the reading lists the filter exports. */
const exportedLists = (owners: string) =>
  `SELECT l.id FROM "ReadingList" l WHERE l."ownerId" = ANY(${owners})`;
/** Ids of books referenced by entries of exported lists. */
const referencedBooks = (owners: string) =>
  `SELECT e."bookId" FROM "BookInReadingList" e WHERE e."readingListId" IN (${exportedLists(owners)})`;

const FILTERS = filters("$1::int[]");

/**
 * The selection of one model as a WHERE condition with the owner ids inlined (they are
 * validated integers), for statements that take no parameters; undefined = every row.
 */
export function inlineFilter(spec: ModelSpec, selection: Selection): string | undefined {
  if (!selection.ownerIds) return undefined;
  const owners = `'{${selection.ownerIds.map((id) => Math.trunc(id)).join(",")}}'::int[]`;
  return filters(owners)[spec.name];
}

export interface ModelQuery {
  text: string;
  values: unknown[];
}

/** SELECT of one model's selected rows in ascending id order. */
export function selectQuery(spec: ModelSpec, selection: Selection): ModelQuery {
  const columns = spec.fields.map((f) => quoteIdent(f.name)).join(", ");
  const from = `FROM ${quoteIdent(spec.table)}`;
  if (!selection.ownerIds) return { text: `SELECT ${columns} ${from} ORDER BY "id"`, values: [] };
  return {
    text: `SELECT ${columns} ${from} WHERE ${FILTERS[spec.name]} ORDER BY "id"`,
    values: [selection.ownerIds],
  };
}

/** Number of rows the selection holds for a model (same snapshot as the read: used for progress/ETA). */
export async function countSelected(
  client: pg.Client,
  spec: ModelSpec,
  selection: Selection,
): Promise<number> {
  const from = `FROM ${quoteIdent(spec.table)}`;
  const { rows } = selection.ownerIds
    ? await client.query<{ n: string }>(`SELECT count(*) AS n ${from} WHERE ${FILTERS[spec.name]}`, [
        selection.ownerIds,
      ])
    : await client.query<{ n: string }>(`SELECT count(*) AS n ${from}`);
  return Number(rows[0]?.n ?? 0);
}

/** Books brought in only because an exported list entry references them. */
export async function countReferencedBooksAdded(client: pg.Client, selection: Selection): Promise<number> {
  if (!selection.ownerIds) return 0;
  const { rows } = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM "Book" b WHERE b.id IN (${referencedBooks("$1::int[]")}) AND NOT (b."ownerId" = ANY($1::int[]))`,
    [selection.ownerIds],
  );
  return Number(rows[0]?.n ?? 0);
}
