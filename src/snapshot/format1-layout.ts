import type {
  ColumnDescription,
  ColumnType,
  ForeignKeyDescription,
  SchemaDescription,
  TableDescription,
} from "../schema/description.js";

/**
 * The schema format-1 snapshots were written under, frozen. Format 1 did not record its schema:
 * its records were named fields of the four book models of booksnap 0.1-0.2
 * (prisma/migrations/20261127000000_init); its manifest lists only their names, types and
 * nullability (`schema.models`). This describes that file format, not the app: it never changes,
 * and import / check compare it with the target like a format-2 description.
 */

const type = (kind: ColumnType["kind"], sql: string, extra: Partial<ColumnType> = {}): ColumnType => ({
  kind,
  array: false,
  sql,
  ...extra,
});
const INTEGER = type("int4", "integer");
const TEXT = type("text", "text");
const TEXT_ARRAY = type("text", "text[]", { array: true });
const TIMESTAMP3 = type("timestamp", "timestamp(3) without time zone", { precision: 3 });
const varchar = (length: number) => type("text", `character varying(${length})`, { length });
const enumType = (name: string) => type("enum", `"${name}"`, { enumName: name });

function column(
  name: string,
  columnType: ColumnType,
  options: { nullable?: boolean; default?: string } = {},
): ColumnDescription {
  return {
    name,
    type: columnType,
    nullable: options.nullable ?? false,
    default: options.default ?? null,
    identity: null,
    generated: false,
  };
}
const serialId = (table: string) =>
  column("id", INTEGER, { default: `nextval('"${table}_id_seq"'::regclass)` });
const createdAt = (name = "createdAt") => column(name, TIMESTAMP3, { default: "CURRENT_TIMESTAMP" });
const nullableText = (name: string) => column(name, TEXT, { nullable: true });

function reference(table: string, columnName: string, target: string): ForeignKeyDescription {
  return {
    name: `${table}_${columnName}_fkey`,
    columns: [columnName],
    references: { table: target, columns: ["id"] },
    onDelete: "cascade",
    onUpdate: "cascade",
    deferrable: false,
  };
}
const unique = (table: string, ...columns: string[]) => ({
  name: `${table}_${columns.join("_")}_key`,
  columns,
  index: true,
});
/** PostgreSQL quotes an identifier in pg_get_indexdef only when it is not a plain lower-case name. */
const sqlName = (name: string) => (/^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name}"`);
/** Every index of a table as pg_get_indexdef prints it (primary key and unique ones too), by name. */
function indexes(table: string, definitions: Array<[name: string, unique: boolean, columns: string[]]>) {
  return definitions
    .map(([name, isUnique, columns]) => ({
      name,
      definition: `CREATE ${isUnique ? "UNIQUE " : ""}INDEX "${name}" ON public."${table}" USING btree (${columns.map(sqlName).join(", ")})`,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const VISIBILITY = ["PRIVATE", "PUBLIC", "FRIENDS", "UNLISTED"];

const USER: TableDescription = {
  name: "User",
  columns: [
    serialId("User"),
    column("clerkId", TEXT),
    column("email", TEXT),
    ...[
      "name",
      "profileImageUrl",
      "githubUrl",
      "instagramUrl",
      "linkedinUrl",
      "letterboxdUrl",
      "spotifyUrl",
    ].map(nullableText),
    createdAt(),
    column("updatedAt", TIMESTAMP3),
  ],
  primaryKey: ["id"],
  foreignKeys: [],
  uniques: [unique("User", "clerkId"), unique("User", "email")],
  indexes: indexes("User", [
    ["User_clerkId_key", true, ["clerkId"]],
    ["User_email_key", true, ["email"]],
    ["User_pkey", true, ["id"]],
  ]),
};

const BOOK: TableDescription = {
  name: "Book",
  columns: [
    serialId("Book"),
    column("ownerId", INTEGER),
    column("isbn10", varchar(10)),
    column("isbn13", varchar(13)),
    ...["title", "titleLong", "language", "synopsis", "image", "imageOriginal", "publisher"].map((name) =>
      column(name, TEXT),
    ),
    nullableText("edition"),
    column("pageCount", INTEGER),
    column("datePublished", TEXT),
    column("subjects", TEXT_ARRAY, { nullable: true }),
    column("authors", TEXT_ARRAY, { nullable: true }),
    column("binding", TEXT),
    column("visibility", enumType("BookVisibility"), { default: `'PUBLIC'::"BookVisibility"` }),
    column("readDate", TIMESTAMP3, { nullable: true }),
    createdAt(),
    column("updatedAt", TIMESTAMP3),
  ],
  primaryKey: ["id"],
  foreignKeys: [reference("Book", "ownerId", "User")],
  uniques: [unique("Book", "isbn10"), unique("Book", "isbn13")],
  indexes: indexes("Book", [
    ["Book_isbn10_key", true, ["isbn10"]],
    ["Book_isbn13_key", true, ["isbn13"]],
    ["Book_ownerId_idx", false, ["ownerId"]],
    ["Book_ownerId_readDate_idx", false, ["ownerId", "readDate"]],
    ["Book_pkey", true, ["id"]],
    ["Book_readDate_idx", false, ["readDate"]],
    ["Book_title_idx", false, ["title"]],
    ["Book_visibility_idx", false, ["visibility"]],
  ]),
};

const READING_LIST: TableDescription = {
  name: "ReadingList",
  columns: [
    serialId("ReadingList"),
    column("ownerId", INTEGER),
    column("title", TEXT),
    nullableText("description"),
    column("visibility", enumType("ReadingListVisibility"), {
      default: `'PRIVATE'::"ReadingListVisibility"`,
    }),
    column("type", enumType("ReadingListType"), { default: `'STANDARD'::"ReadingListType"` }),
    column("year", INTEGER, { nullable: true }),
    nullableText("coverImage"),
    createdAt(),
    column("updatedAt", TIMESTAMP3),
  ],
  primaryKey: ["id"],
  foreignKeys: [reference("ReadingList", "ownerId", "User")],
  uniques: [],
  indexes: indexes("ReadingList", [["ReadingList_pkey", true, ["id"]]]),
};

const BOOK_IN_READING_LIST: TableDescription = {
  name: "BookInReadingList",
  columns: [
    serialId("BookInReadingList"),
    column("bookId", INTEGER),
    column("readingListId", INTEGER),
    column("position", INTEGER, { default: "0" }),
    nullableText("notes"),
    createdAt("addedAt"),
  ],
  primaryKey: ["id"],
  foreignKeys: [
    reference("BookInReadingList", "bookId", "Book"),
    reference("BookInReadingList", "readingListId", "ReadingList"),
  ],
  uniques: [unique("BookInReadingList", "bookId", "readingListId")],
  indexes: indexes("BookInReadingList", [
    ["BookInReadingList_bookId_readingListId_key", true, ["bookId", "readingListId"]],
    ["BookInReadingList_pkey", true, ["id"]],
  ]),
};

export const FORMAT1_SCHEMA: SchemaDescription = deepFreeze({
  schema: "public",
  tables: [USER, BOOK, READING_LIST, BOOK_IN_READING_LIST],
  enums: {
    BookVisibility: VISIBILITY,
    ReadingListVisibility: [...VISIBILITY],
    ReadingListType: ["STANDARD", "FAVORITES_YEAR", "FAVORITES_ALL"],
  },
});

/** One field of a format-1 manifest's `schema.models`. */
export interface Format1Field {
  name: string;
  type: string;
  nullable: boolean;
}

/**
 * The field list a format-1 manifest records under `schema.models` for a description
 * (`{name, type, nullable}` with types int, text, varchar(n), timestamp, text[], enum:T[labels]).
 */
export function format1FieldList(
  description: SchemaDescription = FORMAT1_SCHEMA,
): Record<string, Format1Field[]> {
  return Object.fromEntries(
    description.tables.map((table) => [
      table.name,
      table.columns.map((c) => ({
        name: c.name,
        type: format1TypeName(c.type, description),
        nullable: c.nullable,
      })),
    ]),
  );
}

/**
 * The description of a format-1 snapshot from the field list its manifest recorded: the frozen
 * layout's tables, columns, keys and defaults, with each column's type and nullability as recorded
 * (format-1 writers differ there: 0.1-0.2 wrote ReadingList.year as int, later ones as text).
 * Undefined when the tables or column names are not the frozen layout's.
 */
export function format1Description(
  models: Readonly<Record<string, readonly Format1Field[]>>,
): SchemaDescription | undefined {
  const enums: Record<string, string[]> = {};
  const tables: TableDescription[] = [];
  if (
    Object.keys(models).sort().join() !==
    FORMAT1_SCHEMA.tables
      .map((t) => t.name)
      .sort()
      .join()
  )
    return undefined;
  for (const frozen of FORMAT1_SCHEMA.tables) {
    const fields = models[frozen.name] ?? [];
    if (fields.map((f) => f.name).join() !== frozen.columns.map((c) => c.name).join()) return undefined;
    const columns: ColumnDescription[] = [];
    for (const [i, field] of fields.entries()) {
      const parsed = format1Type(field.type);
      if (!parsed) return undefined;
      if (parsed.labels && parsed.type.enumName) enums[parsed.type.enumName] = parsed.labels;
      columns.push({
        ...(frozen.columns[i] as ColumnDescription),
        type: parsed.type,
        nullable: field.nullable,
      });
    }
    tables.push({ ...frozen, columns });
  }
  return deepFreeze({ schema: FORMAT1_SCHEMA.schema, tables, enums });
}

function format1Type(name: string): { type: ColumnType; labels?: string[] } | undefined {
  if (name === "int") return { type: INTEGER };
  if (name === "text") return { type: TEXT };
  if (name === "text[]") return { type: TEXT_ARRAY };
  if (name === "timestamp") return { type: TIMESTAMP3 };
  const length = /^varchar\((\d{1,5})\)$/.exec(name)?.[1];
  if (length) return { type: varchar(Number(length)) };
  const enumMatch = /^enum:([A-Za-z_]\w*)\[(.*)\]$/.exec(name);
  if (enumMatch?.[1] && enumMatch[2] !== undefined) {
    return { type: enumType(enumMatch[1]), labels: enumMatch[2].split(",") };
  }
  return undefined;
}

function format1TypeName(t: ColumnType, description: SchemaDescription): string {
  if (t.kind === "enum")
    return `enum:${t.enumName}[${(description.enums[t.enumName ?? ""] ?? []).join(",")}]`;
  if (t.kind === "int4") return "int";
  if (t.kind === "timestamp") return "timestamp";
  if (t.array) return "text[]";
  return t.length === undefined ? "text" : `varchar(${t.length})`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
