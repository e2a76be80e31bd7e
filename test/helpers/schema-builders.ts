import type {
  ColumnDescription,
  ColumnType,
  ForeignKeyDescription,
  SchemaDescription,
  TableDescription,
} from "../../src/schema/description.js";

/**
 * Small builders for SchemaDescriptions in unit tests (the real ones come from introspection,
 * tested against PostgreSQL by the schema tests).
 */

export function column(
  name: string,
  kind: ColumnType["kind"],
  options: Partial<Omit<ColumnDescription, "name" | "type">> & Partial<Omit<ColumnType, "kind">> = {},
): ColumnDescription {
  const { nullable = false, default: dflt = null, identity = null, generated = false, ...type } = options;
  return {
    name,
    type: { kind, array: false, sql: type.sql ?? kind, ...type },
    nullable,
    default: dflt,
    identity,
    generated,
  };
}

export function fk(columns: string[], table: string, referenced: string[] = ["id"]): ForeignKeyDescription {
  return {
    name: `${columns.join("_")}_fkey`,
    columns,
    references: { table, columns: referenced },
    onDelete: "cascade",
    onUpdate: "cascade",
    deferrable: false,
  };
}

export function table(
  name: string,
  columns: ColumnDescription[],
  options: { primaryKey?: string[]; foreignKeys?: ForeignKeyDescription[]; uniques?: string[][] } = {},
): TableDescription {
  return {
    name,
    columns,
    primaryKey: options.primaryKey ?? ["id"],
    foreignKeys: options.foreignKeys ?? [],
    uniques: (options.uniques ?? []).map((cols) => ({
      name: `${name}_${cols.join("_")}_key`,
      columns: cols,
      index: true,
    })),
    indexes: [],
  };
}

const serialId = () => column("id", "int4", { default: "nextval('seq'::regclass)" });
const timestamp = (name: string, nullable = false) =>
  column(name, "timestamp", { precision: 3, sql: "timestamp(3) without time zone", nullable });

export function bookUserTable(extra: ColumnDescription[] = []): TableDescription {
  const text = (name: string, nullable = true) => column(name, "text", { nullable });
  return table(
    "User",
    [
      serialId(),
      text("clerkId", false),
      text("email", false),
      text("name"),
      text("profileImageUrl"),
      text("githubUrl"),
      text("instagramUrl"),
      text("linkedinUrl"),
      text("letterboxdUrl"),
      text("spotifyUrl"),
      timestamp("createdAt"),
      timestamp("updatedAt"),
      ...extra,
    ],
    { uniques: [["clerkId"], ["email"]] },
  );
}

/** The book app's schema (moonejon/penumbra, current), as introspection describes it. */
export function bookAppDescription(
  options: { user?: TableDescription; appSettings?: boolean } = {},
): SchemaDescription {
  const enumColumn = (name: string, enumName: string) =>
    column(name, "enum", { enumName, sql: `"${enumName}"` });
  const tables: TableDescription[] = [
    options.user ?? bookUserTable(),
    table(
      "Book",
      [
        serialId(),
        column("ownerId", "int4"),
        column("isbn10", "text", { length: 10, sql: "character varying(10)" }),
        column("isbn13", "text", { length: 13, sql: "character varying(13)" }),
        column("title", "text"),
        column("synopsis", "text"),
        column("subjects", "text", { array: true, sql: "text[]" }),
        enumColumn("visibility", "BookVisibility"),
        timestamp("readDate", true),
      ],
      { foreignKeys: [fk(["ownerId"], "User")], uniques: [["isbn10"], ["isbn13"]] },
    ),
    table(
      "ReadingList",
      [
        serialId(),
        column("ownerId", "int4"),
        column("title", "text"),
        column("description", "text", { nullable: true }),
        enumColumn("visibility", "ReadingListVisibility"),
        enumColumn("type", "ReadingListType"),
        column("year", "text", { nullable: true }),
        column("coverImage", "text", { nullable: true }),
      ],
      { foreignKeys: [fk(["ownerId"], "User")] },
    ),
    table(
      "BookInReadingList",
      [
        serialId(),
        column("bookId", "int4"),
        column("readingListId", "int4"),
        column("position", "int4"),
        column("notes", "text", { nullable: true }),
        timestamp("addedAt"),
      ],
      {
        foreignKeys: [fk(["bookId"], "Book"), fk(["readingListId"], "ReadingList")],
        uniques: [["bookId", "readingListId"]],
      },
    ),
  ];
  if (options.appSettings !== false) {
    tables.push(
      table("AppSettings", [
        column("id", "int4", { default: "1" }),
        column("defaultUserClerkId", "text", { nullable: true }),
        timestamp("updatedAt"),
      ]),
    );
  }
  return {
    schema: "public",
    tables,
    enums: {
      BookVisibility: ["PRIVATE", "PUBLIC", "FRIENDS", "UNLISTED"],
      ReadingListVisibility: ["PRIVATE", "PUBLIC", "FRIENDS", "UNLISTED"],
      ReadingListType: ["STANDARD", "FAVORITES_YEAR", "FAVORITES_ALL"],
    },
  };
}
