import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import { applyMigrationFiles } from "../../src/db/migrate.js";
import { readMigrationsDir } from "../../src/db/migration-files.js";
import { createTestDatabase } from "../helpers/db.js";

/**
 * The book app's schema history (test/fixtures/app-history): every state builds from an empty
 * database and takes its seed, and state 13 — the app's current schema — is exactly the schema
 * booksnap bundles. The history test proper (export and import across states) builds on these.
 */

const HISTORY = join(import.meta.dirname, "..", "fixtures", "app-history");
const MIGRATIONS = join(HISTORY, "migrations");
const CURRENT_STATE = 13;
const files = await readMigrationsDir(MIGRATIONS);

/** Runs fn on a new database migrated to `state`, then drops it. */
async function atState<T>(state: number, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const db = await createTestDatabase({ migrate: false });
  try {
    await db.withClient((c) => applyMigrationFiles(c, files.slice(0, state), MIGRATIONS));
    return await db.withClient(fn);
  } finally {
    await db.drop();
  }
}

/** Columns, indexes, constraints, enums and sequences of `public`, in a stable order (names, not positions). */
async function catalog(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ line: string }>(
    `SELECT concat_ws(' | ', 'column', c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                      a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity) AS line
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0
        AND NOT a.attisdropped AND c.relname <> '_prisma_migrations'
     UNION ALL
     SELECT concat_ws(' | ', 'index', pg_get_indexdef(i.indexrelid))
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
      WHERE c.relnamespace = 'public'::regnamespace AND c.relname <> '_prisma_migrations'
     UNION ALL
     SELECT concat_ws(' | ', 'constraint', k.conrelid::regclass, k.conname, pg_get_constraintdef(k.oid))
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
      WHERE c.relnamespace = 'public'::regnamespace AND c.relname <> '_prisma_migrations'
        -- PostgreSQL 18 lists NOT NULL as constraints named after the column when it was made
        -- (the app's Book has "Book_visibility_new_not_null"); nullability is compared above.
        AND k.contype <> 'n'
     UNION ALL
     SELECT concat_ws(' | ', 'enum', t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder))
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
      WHERE t.typnamespace = 'public'::regnamespace GROUP BY t.typname
     UNION ALL
     SELECT concat_ws(' | ', 'sequence', c.relname) FROM pg_class c
      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S'
     ORDER BY 1`,
  );
  return rows.map((row) => row.line);
}

async function counts(client: pg.Client): Promise<Record<string, number>> {
  const { rows: tables } = await client.query<{ name: string }>(
    `SELECT relname AS name FROM pg_class
      WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relname <> '_prisma_migrations'`,
  );
  const out: Record<string, number> = {};
  for (const { name } of tables) {
    const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${name}"`);
    out[name] = rows[0]?.n ?? 0;
  }
  return out;
}

describe("app-history fixtures", () => {
  it("hold 14 states: the app's 13 migrations and the next one it would ship", () => {
    expect(files).toHaveLength(14);
  });

  it.each(files.map((file, index) => [index + 1, file.name] as const))(
    "state %i (%s) builds from an empty database and takes its seed",
    async (state, name) => {
      const seed = await readFile(join(HISTORY, "seeds", `${name}.sql`), "utf8");
      const found = await atState(state, async (c) => {
        await c.query(seed);
        return counts(c);
      });
      expect(found).toMatchObject({ User: 2, Book: 3 });
      if (state >= 10) {
        expect(found).toMatchObject({ ReadingList: state >= 14 ? 4 : 3, BookInReadingList: 4 });
      }
      if (state >= CURRENT_STATE) expect(found).toMatchObject({ AppSettings: 1 });
    },
  );

  it("state 13 is the schema booksnap bundles, column for column and index for index", async () => {
    const expected = await atState(CURRENT_STATE, catalog);
    expect(expected.some((line) => line.includes("ReadingList_type_year_idx"))).toBe(true);
    const bundled = await createTestDatabase();
    try {
      expect(await bundled.withClient(catalog)).toEqual(expected);
    } finally {
      await bundled.drop();
    }
  });
});
