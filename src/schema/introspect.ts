import type pg from "pg";
import { SchemaError } from "../errors.js";
import {
  COLUMNS_SQL,
  CONSTRAINTS_SQL,
  type ColumnRow,
  type ConstraintRow,
  INDEXES_SQL,
  type IndexRow,
  TABLES_SQL,
  type TableRow,
  TYPES_SQL,
  type TypeRow,
} from "./catalog-queries.js";
import { type CatalogType, resolveColumnType } from "./column-type.js";
import type {
  ColumnDescription,
  ForeignKeyAction,
  ForeignKeyDescription,
  SchemaDescription,
  TableDescription,
  UniqueDescription,
  UnsupportedColumn,
} from "./description.js";
import { compareNames, orderTables } from "./order.js";

export interface IntrospectOptions {
  /** PostgreSQL schema holding the tables (default "public"). */
  schema?: string;
  /** Only these tables (default: every ordinary and partitioned table except Prisma's `_prisma_migrations`). */
  include?: readonly string[];
  /** Tables left out (applied after `include`). */
  exclude?: readonly string[];
}

export interface IntrospectionResult {
  description: SchemaDescription;
  /** Columns booksnap will not carry, by table and column; they are absent from `description`. */
  unsupported: UnsupportedColumn[];
}

/** Prisma's migration history: the app's bookkeeping, not its data. */
const DEFAULT_EXCLUDED = ["_prisma_migrations"];

/**
 * Describes the tables of one schema from pg_catalog: columns and their carried types, keys,
 * foreign keys, unique constraints and indexes, enums, in foreign-key order. Only reads the
 * catalog (five queries whatever the number of tables), so it runs inside the caller's READ ONLY
 * REPEATABLE READ transaction and describes the very snapshot the rows are read from.
 *
 * Type names and defaults are printed as PostgreSQL prints them for this session: a name its
 * search_path does not find is schema-qualified, so a `type.sql` always resolves, in the session
 * that read it, to the column's very type (a role with an empty search_path reads `public."Mood"`
 * where the usual one reads `"Mood"`; the structure, which is what gets compared, is the same).
 */
export async function introspectSchema(
  client: pg.ClientBase,
  options: IntrospectOptions = {},
): Promise<IntrospectionResult> {
  const schema = options.schema ?? "public";
  return describeCatalog(schema, await readCatalog(client, schema, options));
}

interface CatalogRows {
  tables: TableRow[];
  columns: ColumnRow[];
  types: Map<number, CatalogType>;
  constraints: ConstraintRow[];
  indexes: IndexRow[];
}

async function readCatalog(
  client: pg.ClientBase,
  schema: string,
  options: IntrospectOptions,
): Promise<CatalogRows> {
  const tables = selectTables(schema, (await client.query<TableRow>(TABLES_SQL, [schema])).rows, options);
  if (tables.length === 0) await refuseMissingSchema(client, schema);
  const oids = tables.map((table) => table.oid);
  const columns = (await client.query<ColumnRow>(COLUMNS_SQL, [oids])).rows;
  const typeOids = [...new Set(columns.map((column) => column.type_oid))];
  const typeRows = (await client.query<TypeRow>(TYPES_SQL, [typeOids])).rows;
  return {
    tables,
    columns,
    types: new Map(typeRows.map((row) => [Number(row.oid), catalogType(row)])),
    constraints: (await client.query<ConstraintRow>(CONSTRAINTS_SQL, [oids])).rows,
    indexes: (await client.query<IndexRow>(INDEXES_SQL, [oids])).rows,
  };
}

function describeCatalog(
  schema: string,
  { tables, columns, types, constraints, indexes }: CatalogRows,
): IntrospectionResult {
  const enums: Record<string, string[]> = {};
  const unsupported: UnsupportedColumn[] = [];
  const described = tables.map((table): TableDescription => {
    const own = <T extends { table_oid: string }>(rows: readonly T[]) =>
      rows.filter((row) => row.table_oid === table.oid);
    const tableColumns: ColumnDescription[] = [];
    for (const row of own(columns)) {
      const resolved = resolveColumnType(
        { typeOid: Number(row.type_oid), typmod: row.typmod, declaredDims: row.dims, sql: row.sql },
        types,
        schema,
      );
      if (!resolved.supported) {
        unsupported.push({ table: table.name, column: row.name, sqlType: row.sql, reason: resolved.reason });
        continue;
      }
      if (resolved.enumType) enums[resolved.enumType.name] = resolved.enumType.labels;
      const generated = row.generated !== "";
      tableColumns.push({
        name: row.name,
        type: resolved.type,
        nullable: !row.not_null && !resolved.domainNotNull,
        // A generated column's expression is not a default: it is never inserted.
        default: generated ? null : row.default_expr,
        identity: row.identity === "a" ? "always" : row.identity === "d" ? "by default" : null,
        generated,
      });
    }
    const tableConstraints = own(constraints);
    return {
      name: table.name,
      columns: tableColumns,
      primaryKey: tableConstraints.find((c) => c.type === "p")?.columns ?? [],
      foreignKeys: tableConstraints.filter((c) => c.type === "f").map((c) => foreignKey(c, schema)),
      uniques: uniques(tableConstraints, own(indexes)),
      indexes: own(indexes).map((index) => ({ name: index.name, definition: index.definition })),
    };
  });
  const sortedEnums = Object.fromEntries(Object.entries(enums).sort(([a], [b]) => compareNames(a, b)));
  return { description: { schema, tables: orderTables(described), enums: sortedEnums }, unsupported };
}

function selectTables(schema: string, rows: readonly TableRow[], options: IntrospectOptions): TableRow[] {
  if (options.include) {
    const present = new Set(rows.map((row) => row.name));
    const unknown = options.include.filter((name) => !present.has(name));
    if (unknown.length > 0) {
      throw new SchemaError(
        "E_SCHEMA_UNKNOWN_TABLE",
        `Included tables not found in schema "${schema}": ${unknown.map((n) => `"${n}"`).join(", ")}`,
        {
          hint: "Check the table names (they are case-sensitive) in the include list of the configuration.",
          details: { schema, unknown },
        },
      );
    }
  }
  const included = new Set(options.include ?? rows.map((row) => row.name).filter(notDefaultExcluded));
  const excluded = new Set(options.exclude ?? []);
  return rows.filter((row) => included.has(row.name) && !excluded.has(row.name));
}

const notDefaultExcluded = (name: string) => !DEFAULT_EXCLUDED.includes(name);

async function refuseMissingSchema(client: pg.ClientBase, schema: string): Promise<void> {
  const { rowCount } = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
  if (rowCount === 0) {
    throw new SchemaError("E_SCHEMA_NOT_FOUND", `Schema "${schema}" does not exist in this database`, {
      hint: "Check the schema name in the configuration and the database the connection points at.",
      details: { schema },
    });
  }
}

function catalogType(row: TypeRow): CatalogType {
  return {
    oid: Number(row.oid),
    name: row.name,
    schema: row.schema,
    typtype: row.typtype,
    isArray: row.is_array,
    element: Number(row.element),
    base: Number(row.base),
    typmod: row.typmod,
    ndims: row.ndims,
    notNull: row.not_null,
    enumLabels: row.enum_labels,
  };
}

/** pg_constraint.confdeltype / confupdtype codes. */
const FOREIGN_KEY_ACTIONS: Record<string, ForeignKeyAction> = {
  a: "no action",
  r: "restrict",
  c: "cascade",
  n: "set null",
  d: "set default",
};

function foreignKey(row: ConstraintRow, schema: string): ForeignKeyDescription {
  const action = (code: string): ForeignKeyAction => {
    const found = FOREIGN_KEY_ACTIONS[code];
    if (!found) throw new Error(`internal: unknown foreign key action "${code}" on ${row.name}`);
    return found;
  };
  // A table in another schema is never described: qualified, it is reported as a missing reference.
  const table = row.ref_schema === schema ? (row.ref_table ?? "") : `${row.ref_schema}.${row.ref_table}`;
  return {
    name: row.name,
    columns: row.columns,
    references: { table, columns: row.ref_columns },
    onDelete: action(row.on_delete),
    onUpdate: action(row.on_update),
    deferrable: row.deferrable,
  };
}

/** UNIQUE constraints and plain unique indexes, by name. */
function uniques(constraints: readonly ConstraintRow[], indexes: readonly IndexRow[]): UniqueDescription[] {
  const fromConstraints = constraints
    .filter((c) => c.type === "u")
    .map((c) => ({ name: c.name, columns: c.columns, index: false }));
  const fromIndexes = indexes.flatMap((index) =>
    index.unique_columns ? [{ name: index.name, columns: index.unique_columns, index: true }] : [],
  );
  return [...fromConstraints, ...fromIndexes].sort((a, b) => compareNames(a.name, b.name));
}
