/**
 * The catalog queries introspection runs: pg_catalog only (information_schema hides what the
 * role cannot read and is slower), no writes, no temporary objects, so they run inside the
 * export's READ ONLY REPEATABLE READ transaction and see the same snapshot as the rows.
 * Each query covers every described table at once ($1 = their OIDs, or their columns' types):
 * five queries in all.
 */

/** Ordinary and partitioned tables of schema $1; partitions are read through their parent. */
export const TABLES_SQL = `
SELECT c.oid::int8::text AS oid, c.relname::text AS name
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
 ORDER BY c.relname`;

export interface TableRow {
  oid: string;
  name: string;
}

/** Live columns in attnum order. */
export const COLUMNS_SQL = `
SELECT a.attrelid::int8::text AS table_oid, a.attname::text AS name, a.atttypid::int8 AS type_oid,
       a.atttypmod AS typmod, a.attndims AS dims, format_type(a.atttypid, a.atttypmod) AS sql,
       a.attnotnull AS not_null, a.attidentity::text AS identity, a.attgenerated::text AS generated,
       pg_get_expr(d.adbin, d.adrelid) AS default_expr
  FROM pg_attribute a
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attrelid, a.attnum`;

export interface ColumnRow {
  table_oid: string;
  name: string;
  type_oid: string;
  typmod: number;
  dims: number;
  sql: string;
  not_null: boolean;
  identity: string;
  generated: string;
  default_expr: string | null;
}

/**
 * Every pg_type row the columns' types ($1) reach through array elements and domain bases, with
 * enum labels in their sort order.
 */
export const TYPES_SQL = `
WITH RECURSIVE reached(oid) AS (
  SELECT unnest($1::oid[])
  UNION
  SELECT next.oid
    FROM reached r
    JOIN pg_type t ON t.oid = r.oid
    CROSS JOIN LATERAL (VALUES (t.typelem), (t.typbasetype)) AS next(oid)
   WHERE next.oid <> 0
)
SELECT t.oid::int8 AS oid, t.typname::text AS name, n.nspname::text AS schema, t.typtype::text AS typtype,
       t.typelem::int8 AS element, t.typbasetype::int8 AS base, t.typtypmod AS typmod, t.typndims AS ndims,
       t.typnotnull AS not_null,
       (t.typelem <> 0 AND (SELECT e.typarray FROM pg_type e WHERE e.oid = t.typelem) = t.oid) AS is_array,
       CASE WHEN t.typtype = 'e' THEN
         ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
       END AS enum_labels
  FROM pg_type t
  JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE t.oid = ANY (ARRAY(SELECT oid FROM reached))`;
// = ANY(ARRAY(...)) and a scalar subquery for is_array: index lookups instead of two hash joins over
// all of pg_type (measured 1.1 -> 0.5-0.7 ms planning + execution on the book schema, PG15).

export interface TypeRow {
  oid: string;
  name: string;
  schema: string;
  typtype: string;
  element: string;
  base: string;
  typmod: number;
  ndims: number;
  not_null: boolean;
  is_array: boolean;
  enum_labels: string[] | null;
}

/**
 * Primary keys, UNIQUE constraints and foreign keys, columns in key order. conparentid = 0 leaves
 * out the per-partition copies PostgreSQL makes of a foreign key that references a partitioned table.
 */
export const CONSTRAINTS_SQL = `
SELECT c.conrelid::int8::text AS table_oid, c.conname::text AS name, c.contype::text AS type,
       ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, i)
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.i) AS columns,
       rn.nspname::text AS ref_schema, r.relname::text AS ref_table,
       ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, i)
               JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.i) AS ref_columns,
       c.confdeltype::text AS on_delete, c.confupdtype::text AS on_update, c.condeferrable AS deferrable
  FROM pg_constraint c
  LEFT JOIN pg_class r ON r.oid = c.confrelid
  LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
 WHERE c.conrelid = ANY($1::oid[]) AND c.contype IN ('p', 'u', 'f') AND c.conparentid = 0
 ORDER BY c.conname`;

export interface ConstraintRow {
  table_oid: string;
  name: string;
  type: "p" | "u" | "f";
  columns: string[];
  ref_schema: string | null;
  ref_table: string | null;
  ref_columns: string[];
  on_delete: string;
  on_update: string;
  deferrable: boolean;
}

/**
 * Every index with its definition; `unique_columns` is set for a plain unique index (no expression,
 * no predicate) that backs no constraint: Prisma's @unique and @@unique make those.
 */
export const INDEXES_SQL = `
SELECT i.indrelid::int8::text AS table_oid, ic.relname::text AS name, pg_get_indexdef(i.indexrelid) AS definition,
       CASE WHEN i.indisunique AND i.indexprs IS NULL AND i.indpred IS NULL
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
            THEN ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
                         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                        WHERE k.n <= i.indnkeyatts ORDER BY k.n)
       END AS unique_columns
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
 WHERE i.indrelid = ANY($1::oid[])
 ORDER BY ic.relname`;

export interface IndexRow {
  table_oid: string;
  name: string;
  definition: string;
  unique_columns: string[] | null;
}
