import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BooksnapError, SchemaError } from "../../src/errors.js";
import type {
  ColumnDescription,
  ColumnType,
  TableDescription,
  UnsupportedColumn,
} from "../../src/schema/description.js";
import { schemaFingerprint } from "../../src/schema/fingerprint.js";
import { type IntrospectOptions, introspectSchema } from "../../src/schema/introspect.js";
import { sha256Hex, stableStringify } from "../../src/snapshot/canonical.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { TYPE_MATRIX_SQL } from "./schema-fixture.js";

/** Introspects the way export does: inside a READ ONLY REPEATABLE READ transaction. */
function introspectReadOnly(db: TestDatabase, options?: IntrospectOptions) {
  return db.withClient(async (client) => {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    try {
      return await introspectSchema(client, options);
    } finally {
      await client.query("ROLLBACK");
    }
  });
}

async function introspectionError(db: TestDatabase, options?: IntrospectOptions): Promise<BooksnapError> {
  const error = await introspectReadOnly(db, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SchemaError);
  expect((error as SchemaError).exitCode).toBe(5);
  return error as SchemaError;
}

type TypeFields = Omit<ColumnType, "array"> & { array?: boolean };
const column = (
  name: string,
  type: TypeFields,
  extra: Partial<ColumnDescription> = {},
): ColumnDescription => ({
  name,
  type: { array: false, ...type },
  nullable: true,
  default: null,
  identity: null,
  generated: false,
  ...extra,
});
const notNull = { nullable: false };
const varchar = (n: number, array = false): TypeFields => ({
  kind: "text",
  array,
  sql: `character varying(${n})${array ? "[]" : ""}`,
  length: n,
});
const char = (n: number, array = false): TypeFields => ({
  kind: "text",
  array,
  sql: `character(${n})${array ? "[]" : ""}`,
  fixedLength: true,
  length: n,
});
const index = (table: string, name: string, columns: string, unique = true) => ({
  name,
  definition: `CREATE ${unique ? "UNIQUE " : ""}INDEX "${name}" ON public."${table}" USING btree (${columns})`,
});
const pkeyIndex = (table: string, columns: string) => index(table, `${table}_pkey`, columns);

const matrixColumns: ColumnDescription[] = [
  column("id", { kind: "int4", sql: "integer" }, { nullable: false, identity: "always" }),
  column("c_text", { kind: "text", sql: "text" }, { nullable: false, default: "'x'::text" }),
  column("c_varchar", varchar(10)),
  column("c_char", char(3)),
  column("c_int2", { kind: "int2", sql: "smallint" }),
  column("c_int4", { kind: "int4", sql: "integer" }),
  column("c_int8", { kind: "int8", sql: "bigint" }, { default: "'9007199254740993'::bigint" }),
  column("c_numeric_ps", { kind: "numeric", sql: "numeric(12,4)", precision: 12, scale: 4 }),
  column("c_numeric_neg", { kind: "numeric", sql: "numeric(5,-2)", precision: 5, scale: -2 }),
  column("c_float4", { kind: "float4", sql: "real" }),
  column("c_float8", { kind: "float8", sql: "double precision" }),
  column("c_bool", { kind: "bool", sql: "boolean" }, { nullable: false, default: "false" }),
  column("c_timestamp", { kind: "timestamp", sql: "timestamp without time zone" }),
  column("c_timestamp3", { kind: "timestamp", sql: "timestamp(3) without time zone", precision: 3 }),
  column("c_timestamptz", { kind: "timestamptz", sql: "timestamp with time zone" }, { default: "now()" }),
  column("c_date", { kind: "date", sql: "date" }),
  column("c_time", { kind: "time", sql: "time without time zone" }),
  column("c_time0", { kind: "time", sql: "time(0) without time zone", precision: 0 }),
  column("c_timetz", { kind: "timetz", sql: "time with time zone" }),
  column("c_interval", { kind: "interval", sql: "interval" }),
  column("c_interval3", { kind: "interval", sql: "interval day to second(3)", precision: 3 }),
  // Fields without a precision; blank-padded without a length.
  column("c_interval_ym", { kind: "interval", sql: "interval year to month" }),
  column("c_bpchar", { kind: "text", sql: "bpchar", fixedLength: true }),
  column("c_uuid", { kind: "uuid", sql: "uuid" }, { default: "gen_random_uuid()" }),
  column("c_json", { kind: "json", sql: "json" }),
  column("c_jsonb", { kind: "jsonb", sql: "jsonb" }, { default: "'{}'::jsonb" }),
  column("c_bytea", { kind: "bytea", sql: "bytea" }),
  column("c_enum", { kind: "enum", sql: '"Mood"', enumName: "Mood" }, { default: `'ok'::"Mood"` }),
  column("a_text", { kind: "text", array: true, sql: "text[]" }),
  column("a_varchar", varchar(10, true)),
  column("a_char", char(3, true)),
  column("a_int2", { kind: "int2", array: true, sql: "smallint[]" }),
  column("a_int4", { kind: "int4", array: true, sql: "integer[]" }),
  column("a_int8", { kind: "int8", array: true, sql: "bigint[]" }),
  column("a_numeric", { kind: "numeric", array: true, sql: "numeric(12,4)[]", precision: 12, scale: 4 }),
  column("a_float4", { kind: "float4", array: true, sql: "real[]" }),
  column("a_float8", { kind: "float8", array: true, sql: "double precision[]" }),
  column("a_bool", { kind: "bool", array: true, sql: "boolean[]" }),
  column("a_timestamp", {
    kind: "timestamp",
    array: true,
    sql: "timestamp(3) without time zone[]",
    precision: 3,
  }),
  column("a_timestamptz", { kind: "timestamptz", array: true, sql: "timestamp with time zone[]" }),
  column("a_date", { kind: "date", array: true, sql: "date[]" }),
  column("a_time", { kind: "time", array: true, sql: "time without time zone[]" }),
  column("a_timetz", { kind: "timetz", array: true, sql: "time with time zone[]" }),
  column("a_interval", { kind: "interval", array: true, sql: "interval[]" }),
  column("a_uuid", { kind: "uuid", array: true, sql: "uuid[]" }),
  column("a_json", { kind: "json", array: true, sql: "json[]" }),
  column("a_jsonb", { kind: "jsonb", array: true, sql: "jsonb[]" }),
  column("a_bytea", { kind: "bytea", array: true, sql: "bytea[]" }),
  column(
    "a_enum",
    { kind: "enum", array: true, sql: '"Mood"[]', enumName: "Mood" },
    { nullable: false, default: `'{}'::"Mood"[]` },
  ),
  // The domain's NOT NULL makes the column NOT NULL; an array of it may still be NULL.
  column("d_short", { ...varchar(5), sql: "short_code", domain: "short_code" }, notNull),
  column("d_short_array", { ...varchar(5, true), sql: "short_code[]", domain: "short_code" }),
  column("d_mood", { kind: "enum", sql: "mood_domain", enumName: "Mood", domain: "mood_domain" }),
  column("d_tags", { kind: "text", array: true, sql: "tag_list", domain: "tag_list" }),
  column("g_double", { kind: "int4", sql: "integer" }, { generated: true }),
  // Dropped and re-added: attnum order puts it last.
  column("c_numeric", { kind: "numeric", sql: "numeric" }),
];

const unsupportedMatrix: UnsupportedColumn[] = [
  {
    table: "Matrix",
    column: "u_matrix",
    sqlType: "integer[]",
    reason: "multi-dimensional array (2 dimensions declared)",
  },
  {
    table: "Matrix",
    column: "u_pair",
    sqlType: "pair",
    reason: "composite type pair has no exact encoding in booksnap",
  },
  {
    table: "Matrix",
    column: "u_range",
    sqlType: "int4range",
    reason: "range type int4range has no exact encoding in booksnap",
  },
  {
    table: "Matrix",
    column: "u_inet",
    sqlType: "inet",
    reason: "type inet has no exact encoding in booksnap",
  },
  {
    table: "Matrix",
    column: "u_money",
    sqlType: "money",
    reason: "type money has no exact encoding in booksnap",
  },
  {
    table: "Matrix",
    column: "u_tag_lists",
    sqlType: "tag_list[]",
    reason: "array of an array type (multi-dimensional)",
  },
  // A system identifier type, and an extension's base type: not carried (yet).
  {
    table: "Matrix",
    column: "u_name",
    sqlType: "name",
    reason: "type name has no exact encoding in booksnap",
  },
  {
    table: "Matrix",
    column: "u_citext",
    sqlType: "citext",
    reason: "type citext has no exact encoding in booksnap",
  },
];

const noKeys = { foreignKeys: [], uniques: [] };
const matrixTables: TableDescription[] = [
  {
    name: "Counter",
    columns: [
      column(
        "id",
        { kind: "int4", sql: "integer" },
        { nullable: false, default: `nextval('"Counter_id_seq"'::regclass)` },
      ),
      column(
        "big",
        { kind: "int8", sql: "bigint" },
        { nullable: false, default: `nextval('"Counter_big_seq"'::regclass)` },
      ),
      column("label", { kind: "text", sql: "text" }),
    ],
    primaryKey: ["id"],
    ...noKeys,
    indexes: [pkeyIndex("Counter", "id")],
  },
  {
    name: "Edition",
    columns: [
      column("isbn", varchar(13), notNull),
      column("number", { kind: "int2", sql: "smallint" }, notNull),
      column("title", { kind: "text", sql: "text" }, notNull),
      column("lang", char(2), notNull),
      column("slug", { kind: "text", sql: "text" }, notNull),
    ],
    primaryKey: ["isbn", "number"],
    foreignKeys: [],
    // Expression and partial unique indexes are not identity keys: indexes only.
    uniques: [
      { name: "Edition_slug_key", columns: ["slug"], index: true },
      { name: "Edition_title_lang_key", columns: ["title", "lang"], index: false },
    ],
    indexes: [
      {
        name: "Edition_english_title_key",
        definition: `CREATE UNIQUE INDEX "Edition_english_title_key" ON public."Edition" USING btree (title) WHERE (lang = 'en'::bpchar)`,
      },
      index("Edition", "Edition_lang_idx", "lang", false),
      index("Edition", "Edition_lower_slug_key", "lower(slug)"),
      pkeyIndex("Edition", "isbn, number"),
      index("Edition", "Edition_slug_key", "slug"),
      index("Edition", "Edition_title_lang_key", "title, lang"),
    ],
  },
  {
    // Partitioned: its partitions Event_2025 and Event_2026 are not listed.
    name: "Event",
    columns: [
      column("id", { kind: "int4", sql: "integer" }, notNull),
      column("at", { kind: "date", sql: "date" }, notNull),
    ],
    primaryKey: ["id", "at"],
    ...noKeys,
    indexes: [
      {
        name: "Event_pkey",
        definition: `CREATE UNIQUE INDEX "Event_pkey" ON ONLY public."Event" USING btree (id, at)`,
      },
    ],
  },
  {
    name: "EventNote",
    columns: [
      column(
        "id",
        { kind: "int4", sql: "integer" },
        { nullable: false, default: `nextval('"EventNote_id_seq"'::regclass)` },
      ),
      column("event_id", { kind: "int4", sql: "integer" }, notNull),
      column("event_at", { kind: "date", sql: "date" }, notNull),
    ],
    primaryKey: ["id"],
    // One foreign key, not one more per partition of the referenced table.
    foreignKeys: [
      {
        name: "EventNote_event_fkey",
        columns: ["event_id", "event_at"],
        references: { table: "Event", columns: ["id", "at"] },
        onDelete: "no action",
        onUpdate: "no action",
        deferrable: false,
      },
    ],
    uniques: [],
    indexes: [pkeyIndex("EventNote", "id")],
  },
  {
    name: "Matrix",
    columns: matrixColumns,
    primaryKey: ["id"],
    ...noKeys,
    indexes: [pkeyIndex("Matrix", "id")],
  },
  {
    name: "Node",
    columns: [
      column("id", { kind: "int8", sql: "bigint" }, { nullable: false, identity: "by default" }),
      column("parent_id", { kind: "int8", sql: "bigint" }),
      column("edition_number", { kind: "int2", sql: "smallint" }),
      column("edition_isbn", varchar(13)),
    ],
    primaryKey: ["id"],
    foreignKeys: [
      {
        // Column order of the key, position for position, not the referenced table's PK order.
        name: "Node_edition_fkey",
        columns: ["edition_number", "edition_isbn"],
        references: { table: "Edition", columns: ["number", "isbn"] },
        onDelete: "cascade",
        onUpdate: "restrict",
        deferrable: true,
      },
      {
        name: "Node_parent_fkey",
        columns: ["parent_id"],
        references: { table: "Node", columns: ["id"] },
        onDelete: "set null",
        onUpdate: "no action",
        deferrable: false,
      },
    ],
    uniques: [],
    indexes: [pkeyIndex("Node", "id")],
  },
  {
    name: "Tag",
    columns: [
      column("id", { kind: "text", sql: "text" }, notNull),
      column("counter_id", { kind: "int4", sql: "integer" }, { default: "0" }),
      column("node_id", { kind: "int8", sql: "bigint" }),
    ],
    primaryKey: ["id"],
    foreignKeys: [
      {
        name: "Tag_counter_fkey",
        columns: ["counter_id"],
        references: { table: "Counter", columns: ["id"] },
        onDelete: "set default",
        onUpdate: "no action",
        deferrable: false,
      },
      {
        name: "Tag_node_fkey",
        columns: ["node_id"],
        references: { table: "Node", columns: ["id"] },
        onDelete: "restrict",
        onUpdate: "cascade",
        deferrable: false,
      },
    ],
    uniques: [],
    indexes: [pkeyIndex("Tag", "id")],
  },
];

describe("schema introspection: type matrix", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    await db.withClient((c) => c.query(TYPE_MATRIX_SQL));
  });
  afterAll(() => db.drop());

  it("describes every carried type, key and constraint exactly, in foreign-key order", async () => {
    const { description, unsupported } = await introspectReadOnly(db);
    // Views, partitions and Prisma's _prisma_migrations are not described.
    expect(description.tables.map((t) => t.name)).toEqual([
      "Counter",
      "Edition",
      "Event",
      "EventNote",
      "Matrix",
      "Node",
      "Tag",
    ]);
    expect(description).toStrictEqual({
      schema: "public",
      tables: matrixTables,
      // Labels in sort order: 'meh' was added before 'ok' after the type was created.
      enums: { Mood: ["sad", "meh", "ok", "happy"] },
    });
    expect(unsupported).toStrictEqual(unsupportedMatrix);
  });

  it("describes only the included tables, and refuses a reference to a table left out", async () => {
    const { description } = await introspectReadOnly(db, { include: ["Tag", "Node", "Counter", "Edition"] });
    expect(description.tables.map((t) => t.name)).toEqual(["Counter", "Edition", "Node", "Tag"]);
    expect(description.enums).toEqual({});

    const excluded = await introspectionError(db, { exclude: ["Counter", "Edition"] });
    expect(excluded.code).toBe("E_SCHEMA_EXCLUDED_REFERENCE");
    expect(excluded.message).toContain(`"Tag" references "Counter" (Tag_counter_fkey)`);
    expect(excluded.message).toContain(`"Node" references "Edition" (Node_edition_fkey)`);
    expect(excluded.details.references).toEqual([
      { table: "Node", constraint: "Node_edition_fkey", references: "Edition" },
      { table: "Tag", constraint: "Tag_counter_fkey", references: "Counter" },
    ]);

    const leaves = await introspectReadOnly(db, { exclude: ["Tag", "Matrix", "EventNote"] });
    expect(leaves.description.tables.map((t) => t.name)).toEqual(["Counter", "Edition", "Event", "Node"]);
    expect(leaves.unsupported).toEqual([]);
  });

  it("prints type names that resolve to the column's type in the session that read them", async () => {
    for (const searchPath of ["DEFAULT", "''"]) {
      await db.withClient(async (client) => {
        await client.query(`SET search_path = ${searchPath}`);
        await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        const { description } = await introspectSchema(client);
        // to_regtype resolves a type name with the session's search_path, as a cast would.
        const { rows } = await client.query<{ table: string; column: string; sql: string }>(
          `SELECT d.table, d.column, d.sql
             FROM jsonb_to_recordset($1::jsonb) AS d("table" text, "column" text, sql text)
             JOIN pg_attribute a ON a.attrelid = ('public.' || quote_ident(d.table))::regclass AND a.attname = d.column
            WHERE to_regtype(d.sql) IS DISTINCT FROM a.atttypid`,
          [
            JSON.stringify(
              description.tables.flatMap((t) =>
                t.columns.map((c) => ({ table: t.name, column: c.name, sql: c.type.sql })),
              ),
            ),
          ],
        );
        expect(rows, `search_path ${searchPath}`).toEqual([]);
        if (searchPath === "''") {
          const matrix = description.tables.find((t) => t.name === "Matrix");
          expect(matrix?.columns.find((c) => c.name === "c_enum")?.type.sql).toBe('public."Mood"');
          expect(matrix?.columns.find((c) => c.name === "c_enum")?.type.enumName).toBe("Mood");
        }
        await client.query("ROLLBACK");
      });
    }
  });

  it("includes _prisma_migrations only when asked by name, and names unknown tables and schemas", async () => {
    const { description } = await introspectReadOnly(db, { include: ["_prisma_migrations"] });
    expect(description.tables.map((t) => t.name)).toEqual(["_prisma_migrations"]);

    const unknown = await introspectionError(db, { include: ["Tag", "tag", "Event_2025", "MatrixView"] });
    expect(unknown.code).toBe("E_SCHEMA_UNKNOWN_TABLE");
    expect(unknown.details.unknown).toEqual(["tag", "Event_2025", "MatrixView"]);

    const noSchema = await introspectionError(db, { schema: "nope" });
    expect(noSchema.code).toBe("E_SCHEMA_NOT_FOUND");
  });

  it("fingerprints the description: stable, and changed by any column change", async () => {
    const first = await introspectReadOnly(db);
    const again = await introspectReadOnly(db);
    expect(schemaFingerprint(again.description)).toBe(schemaFingerprint(first.description));
    expect(schemaFingerprint(first.description)).toBe(
      `sha256:${sha256Hex(stableStringify(first.description))}`,
    );
    await db.withClient((c) => c.query(`ALTER TABLE "Counter" ALTER COLUMN label SET NOT NULL`));
    try {
      const changed = await introspectReadOnly(db);
      expect(schemaFingerprint(changed.description)).not.toBe(schemaFingerprint(first.description));
    } finally {
      await db.withClient((c) => c.query(`ALTER TABLE "Counter" ALTER COLUMN label DROP NOT NULL`));
    }
  });
});

describe("schema introspection: other schemas and cycles", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(() => db.drop());

  const onDb = (sql: string) => db.withClient((c: pg.Client) => c.query(sql));

  it("describes another schema, qualifying types from elsewhere, and refuses references out of it", async () => {
    await onDb(`
      CREATE TYPE public."Colour" AS ENUM ('red', 'green');
      CREATE TABLE public."Owner" (id serial PRIMARY KEY);
      CREATE SCHEMA side;
      CREATE TYPE side."Size" AS ENUM ('S', 'M');
      CREATE TABLE side."Item" (id uuid PRIMARY KEY, colour public."Colour", size side."Size"[],
        owner_id integer CONSTRAINT "Item_owner_fkey" REFERENCES public."Owner"(id));`);
    const error = await introspectionError(db, { schema: "side" });
    expect(error.code).toBe("E_SCHEMA_EXCLUDED_REFERENCE");
    expect(error.message).toContain(`"Item" references "public.Owner" (Item_owner_fkey)`);

    await onDb(`ALTER TABLE side."Item" DROP CONSTRAINT "Item_owner_fkey"`);
    const { description } = await introspectReadOnly(db, { schema: "side" });
    expect(description.schema).toBe("side");
    const columns = description.tables[0]?.columns;
    expect(columns?.map((c) => [c.name, c.type.kind, c.type.enumName, c.type.sql])).toEqual([
      ["id", "uuid", undefined, "uuid"],
      ["colour", "enum", "public.Colour", '"Colour"'],
      ["size", "enum", "Size", 'side."Size"[]'],
      ["owner_id", "int4", undefined, "integer"],
    ]);
    expect(description.enums).toEqual({ Size: ["S", "M"], "public.Colour": ["red", "green"] });
  });

  it("marks stored and (PostgreSQL 18+) virtual generated columns as generated, with no default", async () => {
    const { rows } = await onDb("SELECT current_setting('server_version_num')::int AS version");
    const virtual = rows[0].version >= 180000;
    await onDb(`CREATE TABLE "Priced" (id integer PRIMARY KEY, net numeric(10,2) NOT NULL,
      gross numeric(10,2) GENERATED ALWAYS AS (net * 1.2) STORED
      ${virtual ? ", half numeric GENERATED ALWAYS AS (net / 2) VIRTUAL" : ""})`);
    const { description } = await introspectReadOnly(db, { include: ["Priced"] });
    const generated = description.tables[0]?.columns.filter((c) => c.generated);
    expect(generated?.map((c) => [c.name, c.default, c.identity])).toEqual([
      ["gross", null, null],
      ...(virtual ? [["half", null, null]] : []),
    ]);
    await onDb(`DROP TABLE "Priced"`);
  });

  it("refuses a foreign-key cycle, naming its tables and constraints and not the tables after it", async () => {
    await onDb(`
      CREATE TABLE "Author" (id integer PRIMARY KEY, best_book_id integer);
      CREATE TABLE "Work" (id integer PRIMARY KEY, author_id integer CONSTRAINT "Work_author_fkey" REFERENCES "Author"(id),
        previous_id integer CONSTRAINT "Work_previous_fkey" REFERENCES "Work"(id));
      ALTER TABLE "Author" ADD CONSTRAINT "Author_best_book_fkey" FOREIGN KEY (best_book_id) REFERENCES "Work"(id);
      CREATE TABLE "Review" (id integer PRIMARY KEY, work_id integer CONSTRAINT "Review_work_fkey" REFERENCES "Work"(id));`);
    const error = await introspectionError(db);
    expect(error.code).toBe("E_SCHEMA_CYCLE");
    expect(error.message).toBe(
      `Foreign keys form a cycle between tables: "Author", "Work" (Author_best_book_fkey: "Author" -> "Work", Work_author_fkey: "Work" -> "Author")`,
    );
    expect(error.details.cycles).toEqual([
      {
        tables: ["Author", "Work"],
        constraints: [
          { table: "Author", constraint: "Author_best_book_fkey", references: "Work" },
          { table: "Work", constraint: "Work_author_fkey", references: "Author" },
        ],
      },
    ]);

    // Breaking the cycle leaves the self-reference, which is allowed.
    await onDb(`ALTER TABLE "Author" DROP CONSTRAINT "Author_best_book_fkey"`);
    const { description } = await introspectReadOnly(db);
    expect(description.tables.map((t) => t.name)).toEqual(["Author", "Owner", "Work", "Review"]);
  });
});

describe("schema introspection: the book app's schema", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it("describes the bundled migrations' tables in foreign-key order, without Prisma's history", async () => {
    const { description, unsupported } = await introspectReadOnly(db);
    expect(unsupported).toEqual([]);
    const names = description.tables.map((t) => t.name);
    expect(names).not.toContain("_prisma_migrations");
    const position = (name: string) => names.indexOf(name);
    for (const table of ["User", "Book", "ReadingList", "BookInReadingList"]) expect(names).toContain(table);
    expect(position("User")).toBeLessThan(position("Book"));
    expect(position("User")).toBeLessThan(position("ReadingList"));
    expect(position("Book")).toBeLessThan(position("BookInReadingList"));
    expect(position("ReadingList")).toBeLessThan(position("BookInReadingList"));

    const table = (name: string) => description.tables.find((t) => t.name === name) as TableDescription;
    const cascade = { onDelete: "cascade", onUpdate: "cascade", deferrable: false } as const;
    expect(table("BookInReadingList").foreignKeys).toEqual([
      {
        name: "BookInReadingList_bookId_fkey",
        columns: ["bookId"],
        references: { table: "Book", columns: ["id"] },
        ...cascade,
      },
      {
        name: "BookInReadingList_readingListId_fkey",
        columns: ["readingListId"],
        references: { table: "ReadingList", columns: ["id"] },
        ...cascade,
      },
    ]);
    expect(table("Book").foreignKeys).toEqual([
      {
        name: "Book_ownerId_fkey",
        columns: ["ownerId"],
        references: { table: "User", columns: ["id"] },
        ...cascade,
      },
    ]);
    expect(table("User").uniques).toEqual([
      { name: "User_clerkId_key", columns: ["clerkId"], index: true },
      { name: "User_email_key", columns: ["email"], index: true },
    ]);
    expect(table("BookInReadingList").uniques).toEqual([
      {
        name: "BookInReadingList_bookId_readingListId_key",
        columns: ["bookId", "readingListId"],
        index: true,
      },
    ]);
    for (const name of names) expect(table(name).primaryKey).toEqual(["id"]);

    const bookColumn = (name: string) => table("Book").columns.find((c) => c.name === name);
    expect(bookColumn("id")).toEqual(
      column(
        "id",
        { kind: "int4", sql: "integer" },
        { nullable: false, default: `nextval('"Book_id_seq"'::regclass)` },
      ),
    );
    expect(bookColumn("isbn13")).toEqual(column("isbn13", varchar(13), notNull));
    expect(bookColumn("subjects")).toEqual(column("subjects", { kind: "text", array: true, sql: "text[]" }));
    expect(bookColumn("visibility")).toEqual(
      column(
        "visibility",
        { kind: "enum", sql: '"BookVisibility"', enumName: "BookVisibility" },
        { nullable: false, default: `'PUBLIC'::"BookVisibility"` },
      ),
    );
    expect(bookColumn("readDate")).toEqual(
      column("readDate", { kind: "timestamp", sql: "timestamp(3) without time zone", precision: 3 }),
    );
    expect(description.enums.BookVisibility).toEqual(["PRIVATE", "PUBLIC", "FRIENDS", "UNLISTED"]);
    expect(description.enums.ReadingListType).toEqual(["STANDARD", "FAVORITES_YEAR", "FAVORITES_ALL"]);
  });
});
