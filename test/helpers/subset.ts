import type pg from "pg";
import { parseOwnerRefs } from "../../src/export/selection.js";
import { type OwnerScope, type SubsetSelection, selectSubset } from "../../src/export/subset.js";
import { parseWherePredicates } from "../../src/export/where-predicate.js";
import type { SchemaDescription } from "../../src/schema/description.js";
import { introspectSchema } from "../../src/schema/introspect.js";
import { withClient } from "./db.js";

/** The book app's owners: an entry belongs to its list, not to the book it points at. */
export const BOOK_OWNERS: OwnerScope = {
  table: "User",
  idColumn: "id",
  emailColumn: "email",
  belongsThrough: { BookInReadingList: ["readingListId"] },
};

/** Runs fn inside a READ ONLY REPEATABLE READ transaction, as export does, and rolls back. */
export function inReadOnlySnapshot<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(url, async (client) => {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    try {
      return await fn(client);
    } finally {
      await client.query("ROLLBACK");
    }
  });
}

export interface SubsetArgs {
  owners?: string[];
  where?: string[];
  scope?: OwnerScope | null;
  onQuery?: (query: { text: string; values: string[] }) => void;
}

/** Introspects and selects, the way the export engine calls it. */
export async function subsetOf(
  client: pg.ClientBase,
  args: SubsetArgs,
): Promise<{ subset: SubsetSelection | null; description: SchemaDescription }> {
  const { description } = await introspectSchema(client);
  const subset = await selectSubset(client, description, {
    owners: args.scope === undefined ? BOOK_OWNERS : args.scope,
    ownerRefs: parseOwnerRefs(args.owners ?? []),
    where: parseWherePredicates(args.where ?? [], description),
    ...(args.onQuery ? { onQuery: args.onQuery } : {}),
  });
  return { subset, description };
}

/** The values of `column` of the selected rows of `table`, read through the subset's condition. */
export async function selectedValues(
  client: pg.ClientBase,
  subset: SubsetSelection,
  table: string,
  column = "id",
): Promise<unknown[]> {
  const { sql, values } = subset.table(table).condition("t", 1);
  const { rows } = await client.query<{ v: unknown }>(
    `SELECT t."${column}" AS v FROM "${table}" t WHERE ${sql} ORDER BY 1`,
    values,
  );
  return rows.map((r) => r.v);
}
