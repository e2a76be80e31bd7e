/**
 * Subset selection over the foreign-key graph: which rows of each table an export reads when
 * it is limited by `--owner` and/or `--where`. Generic: driven only by the SchemaDescription
 * and the owners configuration; nothing here names an application table.
 *
 * API
 *   selectSubset(client, description, request) → SubsetSelection | null (null: no filter, read everything)
 *   SubsetSelection.table(name) → TableSubset { count, addedByReference, condition(), inlineCondition() }
 * Call it inside the export's READ ONLY REPEATABLE READ transaction, before reading rows, and
 * read each table with `WHERE <condition>` in the same transaction: the keys were computed from
 * the same snapshot, so the rows read are exactly the rows selected.
 *
 * Semantics (owner scope O = the owners table, its id column):
 * 1. Owners: the O rows whose id column equals an `--owner` id or whose email column equals an
 *    `--owner` email (exactly, else case-insensitively).
 * 2. Owned rows, from the owners outward:
 *    - every row of a table with a foreign key into O that points at an owner (direct ownership;
 *      any of several such foreign keys will do), and
 *    - every row of a table *without* a foreign key into O (a child table, e.g. list entries)
 *      whose foreign key points at an owned row, transitively (grandchildren, self-references).
 *      `belongsThrough` narrows which foreign keys of a child table confer ownership: the book app
 *      lists `BookInReadingList: ["readingListId"]`, so an entry belongs to its list, not to the
 *      book it points at (another reader's list holding your book is theirs, not yours).
 *    Rows of tables with their own owner column are never reached through another table.
 * 3. `--where 'T: predicate'` rows: the rows of T for which the predicate is true. Several
 *    predicates (same or different tables) and --owner all add up: the base set is the union.
 *    --where rows do not pull in their children (step 2 is for owners only).
 * 4. Closure under references: every row a selected row references through a (non-NULL) foreign
 *    key is selected too, transitively, self-references included, so the snapshot imports without
 *    a dangling reference. Rows added only by this step are `addedByReference`.
 * For the book app this is exactly the selection export has always made: the owners' books,
 * lists and the entries of their lists, every book an exported entry points at, and the owners
 * of all exported books and lists.
 *
 * Cost and memory: each step is an index lookup per foreign-key edge over the keys found in the
 * previous step (semi-naive fixpoint), batched by FRONTIER_BATCH keys, so a subset costs what it
 * holds, not what the database holds (given indexes on the foreign-key columns walked from parent
 * to child: the owner columns and child tables' foreign keys). The keys are held in JS as sorted
 * arrays (see subset-keys.ts): 4 bytes per selected row for int2/int4 keys; the text form of the
 * key otherwise. A read-only transaction cannot create a temporary table to hold them instead.
 */
import type pg from "pg";
import Cursor from "pg-cursor";
import type { SchemaDescription, TableDescription } from "../schema/description.js";
import type { OwnerRef } from "./selection.js";
import { SubsetGraph } from "./subset-graph.js";
import { type Key, type KeySet, keyMatch, quoteIdent, type RowKey } from "./subset-keys.js";
import { type ResolvedOwner, resolveOwnerRows } from "./subset-owners.js";
import { type Edge, EdgeQueries } from "./subset-queries.js";
import { predicateError, type WherePredicate } from "./where-predicate.js";

export type { ResolvedOwner } from "./subset-owners.js";

/** Where owners live and which foreign keys make a row theirs (config `owners`, plus `belongsThrough`). */
export interface OwnerScope {
  /** The owners table, e.g. "User". */
  table: string;
  /** Column an `--owner` id is matched against (the one other tables' owner foreign keys reference). */
  idColumn: string;
  /** Column an `--owner` email is matched against; null when owners have no email. */
  emailColumn: string | null;
  /**
   * Child table (no foreign key into the owners table) → the foreign keys through which its rows
   * belong to an owned row, each named by constraint name or by its columns joined with ",".
   * A child table not listed belongs through every foreign key.
   */
  belongsThrough?: Readonly<Record<string, readonly string[]>>;
}

export interface SubsetRequest {
  /** null: the schema has no owners table (then `ownerRefs` must be empty). */
  owners: OwnerScope | null;
  /** Parsed `--owner` values (parseOwnerRefs). */
  ownerRefs: readonly OwnerRef[];
  /** Parsed `--where` values (parseWherePredicates). */
  where: readonly WherePredicate[];
  /** Observer of every statement run (tests check plans with EXPLAIN; bench counts them). */
  onQuery?: (query: { text: string; values: string[] }) => void;
}

/** The selected rows of one table. */
export interface TableSubset {
  table: string;
  /** Rows selected. */
  count: number;
  /** Of `count`, rows selected only because a selected row references them (manifest filters.addedByReference). */
  addedByReference: number;
  /**
   * WHERE condition true exactly for the selected rows (`FALSE` when none), using parameters
   * $firstParam, $firstParam+1… (values are PostgreSQL array literals). `alias` qualifies columns.
   */
  condition(alias: string | null, firstParam: number): { sql: string; values: string[] };
  /** The same condition with the values inlined as literals, for statements without parameters (COPY). */
  inlineCondition(alias: string | null): string;
}

export interface SubsetSelection {
  /** The owners found for `--owner`, ascending by id, each once. */
  owners: ResolvedOwner[];
  where: WherePredicate[];
  /** Every described table, in description order. */
  tables: TableSubset[];
  table(name: string): TableSubset;
  /** Tables with rows added by reference only → how many (zero counts left out). */
  addedByReference: Record<string, number>;
}

/** Keys per statement: bounds each statement's parameter size and keeps its plan an index lookup. */
export const FRONTIER_BATCH = 10_000;

export async function selectSubset(
  client: pg.ClientBase,
  description: SchemaDescription,
  request: SubsetRequest,
): Promise<SubsetSelection | null> {
  if (request.ownerRefs.length === 0 && request.where.length === 0) return null;
  const graph = new SubsetGraph(description, request.owners);
  const queries = new EdgeQueries(description.schema);
  const fetch = (text: string, values: string[], onRows: (rows: unknown[][]) => void) => {
    request.onQuery?.({ text, values });
    return fetchInChunks(client, text, values, onRows);
  };
  const run = async (text: string, values: string[]) => {
    const all: unknown[][] = [];
    await fetch(text, values, (rows) => all.push(...rows));
    return all;
  };
  /** Runs a statement returning keys of `table` and adds them to `set`, chunk by chunk; returns the new ones. */
  const addKeys = async (set: KeySet, table: TableDescription, query: { text: string; values: string[] }) => {
    const added: Key[] = [];
    await fetch(query.text, query.values, (rows) => {
      for (const key of set.add(rows.map((row) => graph.keyFromRow(table, row)))) added.push(key);
    });
    return added;
  };

  // 1–2: owners and what they own.
  const base = graph.emptySets();
  const owners =
    request.ownerRefs.length > 0
      ? await resolveOwnerRows(graph, request.ownerRefs, run, queries.from(graph.ownersTable()))
      : [];
  if (owners.length > 0) {
    const ownersTable = graph.ownersTable();
    const frontier = graph.emptyFrontier();
    frontier.set(ownersTable.name, graph.set(base, ownersTable).add(owners.map((o) => o.key)));
    await propagate(
      frontier,
      graph.descentOrder(),
      (t) => graph.descentEdges(t),
      async (edge, batch) => ({
        table: edge.child,
        added: await addKeys(graph.set(base, edge.child), edge.child, queries.children(edge, batch)),
      }),
    );
  }
  // 3: --where rows.
  for (const where of request.where) {
    const table = graph.table(where.table);
    const text = `SELECT ${graph.keySelect(table)} FROM ${queries.from(table)} WHERE (\n`;
    const query = { text: `${text}${where.predicate}\n)`, values: [] };
    await addKeys(graph.set(base, table), table, query).catch((error: unknown) => {
      throw predicateError(error, where, text.length);
    });
  }
  // 4: closure under references, from every base row.
  const selected = graph.emptySets();
  const frontier = graph.emptyFrontier();
  for (const table of description.tables) {
    frontier.set(table.name, graph.set(selected, table).add(graph.set(base, table).toArray()));
  }
  await propagate(
    frontier,
    [...description.tables].reverse(),
    (t) => graph.referenceEdges(t),
    async (edge, batch) => ({
      table: edge.parent,
      added: await addKeys(graph.set(selected, edge.parent), edge.parent, queries.parents(edge, batch)),
    }),
  );

  const tables = description.tables.map((t) =>
    tableSubset(
      t,
      graph.rowKey(t),
      graph.set(selected, t),
      graph.set(selected, t).size - graph.set(base, t).size,
    ),
  );
  const byName = new Map(tables.map((t) => [t.table, t]));
  return {
    owners: owners.map(({ id, email }) => ({ id, email })),
    where: [...request.where],
    tables,
    table: (name) => {
      const found = byName.get(name);
      if (!found) throw new Error(`no table ${name} in the subset`);
      return found;
    },
    addedByReference: Object.fromEntries(
      tables.filter((t) => t.addedByReference > 0).map((t) => [t.table, t.addedByReference]),
    ),
  };
}

/**
 * Semi-naive fixpoint: each table's newly found keys are pushed along its edges once; whatever
 * that finds for the first time is the next frontier. Tables are visited in `order` so an acyclic
 * graph settles in one pass (self-references are walked to their end by one recursive statement).
 */
async function propagate(
  frontier: Map<string, Key[]>,
  order: TableDescription[],
  edgesOf: (table: TableDescription) => Edge[],
  step: (edge: Edge, batch: Key[]) => Promise<{ table: TableDescription; added: Key[] }>,
): Promise<void> {
  while ([...frontier.values()].some((keys) => keys.length > 0)) {
    for (const table of order) {
      const pending = frontier.get(table.name) ?? [];
      if (pending.length === 0) continue;
      frontier.set(table.name, []);
      for (const edge of edgesOf(table)) {
        for (let at = 0; at < pending.length; at += FRONTIER_BATCH) {
          const { table: reached, added } = await step(edge, pending.slice(at, at + FRONTIER_BATCH));
          const next = frontier.get(reached.name) ?? [];
          for (const key of added) next.push(key);
          frontier.set(reached.name, next);
        }
      }
    }
  }
}

function tableSubset(
  table: TableDescription,
  key: RowKey,
  keys: KeySet,
  addedByReference: number,
): TableSubset {
  const expressions = (alias: string | null) =>
    key.columns.map((c) => (alias ? `${quoteIdent(alias)}.${quoteIdent(c.name)}` : quoteIdent(c.name)));
  const condition = (alias: string | null, firstParam: number) =>
    keyMatch(key, expressions(alias), keys.toArray(), firstParam);
  return {
    table: table.name,
    count: keys.size,
    addedByReference,
    condition,
    inlineCondition: (alias) => {
      const { sql, values } = condition(alias, 1);
      // Replace from the highest number down so $1 does not match inside $10.
      return values.reduceRight(
        (text, value, i) => text.replaceAll(`$${i + 1}::`, `${quoteLiteral(value)}::`),
        sql,
      );
    },
  };
}

/** Rows per cursor fetch: bounds what one statement's result holds in memory at a time. */
const FETCH_ROWS = 10_000;

/**
 * Streams a statement's rows (arrays) through a cursor, FETCH_ROWS at a time, so a large result
 * never sits in memory whole. A cursor is a portal of the extended query protocol: the server
 * accepts exactly one statement, whatever the text holds.
 */
async function fetchInChunks(
  client: pg.ClientBase,
  text: string,
  values: string[],
  onRows: (rows: unknown[][]) => void,
): Promise<void> {
  const cursor = client.query(new Cursor<unknown[]>(text, values, { rowMode: "array" }));
  for (;;) {
    // A failed read leaves the transaction aborted: closing would wait for the server in vain.
    const rows = await cursor.read(FETCH_ROWS);
    if (rows.length > 0) onRows(rows);
    if (rows.length < FETCH_ROWS) break; // the portal ran to completion: no further round trip
  }
  await cursor.close();
}

/** A standard-conforming string literal (the export session keeps standard_conforming_strings on). */
const quoteLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;
