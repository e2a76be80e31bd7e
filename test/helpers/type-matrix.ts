import type {
  ColumnDescription,
  ColumnType,
  ScalarKind,
  TableDescription,
} from "../../src/schema/description.js";

/**
 * The type matrix: one column per scalar kind booksnap carries (with modifiers where they change
 * the encoding or the checks), the array of each, and rows of edge values. Built by hand as the
 * introspection would describe it, so the codec is tested on its own.
 */

export const MATRIX_ENUM = "mood";
/** Enum labels that need quoting in an array literal or escaping in JSON. */
export const MATRIX_ENUM_LABELS = [
  "sad",
  "ok",
  "with space",
  'quo"te',
  "back\\slash",
  "NULL",
  "a,b{}",
  "ünï😀",
  "",
];

interface MatrixColumn {
  name: string;
  /** The column's type as written in CREATE TABLE (without []). */
  ddl: string;
  type: Omit<ColumnType, "array" | "sql">;
}

const scalars: MatrixColumn[] = [
  { name: "t", ddl: "text", type: { kind: "text" } },
  { name: "vc", ddl: "varchar(5)", type: { kind: "text", length: 5 } },
  { name: "ch", ddl: "char(3)", type: { kind: "text", length: 3, fixedLength: true } },
  { name: "i2", ddl: "smallint", type: { kind: "int2" } },
  { name: "i4", ddl: "integer", type: { kind: "int4" } },
  { name: "i8", ddl: "bigint", type: { kind: "int8" } },
  { name: "n", ddl: "numeric", type: { kind: "numeric" } },
  { name: "nps", ddl: "numeric(40,10)", type: { kind: "numeric", precision: 40, scale: 10 } },
  { name: "f4", ddl: "real", type: { kind: "float4" } },
  { name: "f8", ddl: "double precision", type: { kind: "float8" } },
  { name: "b", ddl: "boolean", type: { kind: "bool" } },
  { name: "ts", ddl: "timestamp", type: { kind: "timestamp" } },
  { name: "ts3", ddl: "timestamp(3)", type: { kind: "timestamp", precision: 3 } },
  { name: "tstz", ddl: "timestamptz", type: { kind: "timestamptz" } },
  { name: "d", ddl: "date", type: { kind: "date" } },
  { name: "tm", ddl: "time", type: { kind: "time" } },
  { name: "tmtz", ddl: "timetz", type: { kind: "timetz" } },
  { name: "iv", ddl: "interval", type: { kind: "interval" } },
  { name: "u", ddl: "uuid", type: { kind: "uuid" } },
  { name: "j", ddl: "json", type: { kind: "json" } },
  { name: "jb", ddl: "jsonb", type: { kind: "jsonb" } },
  { name: "by", ddl: "bytea", type: { kind: "bytea" } },
  { name: "e", ddl: MATRIX_ENUM, type: { kind: "enum", enumName: MATRIX_ENUM } },
];

/** Every kind is in the matrix (a kind added to SCALAR_KINDS must be added here). */
export const MATRIX_KINDS: ReadonlySet<ScalarKind> = new Set(scalars.map((c) => c.type.kind));

function description(column: MatrixColumn, array: boolean): ColumnDescription {
  return {
    name: array ? `${column.name}_a` : column.name,
    type: { ...column.type, array, sql: `${column.ddl}${array ? "[]" : ""}` },
    nullable: true,
    default: null,
    identity: null,
    generated: false,
  };
}

export function matrixTable(name: string): TableDescription {
  const id: ColumnDescription = {
    name: "id",
    type: { kind: "int4", array: false, sql: "integer" },
    nullable: false,
    default: null,
    identity: null,
    generated: false,
  };
  return {
    name,
    columns: [id, ...scalars.map((c) => description(c, false)), ...scalars.map((c) => description(c, true))],
    primaryKey: ["id"],
    foreignKeys: [],
    uniques: [],
    indexes: [],
  };
}

/** CREATE TYPE + CREATE TABLE for the matrix table `name`. */
export function matrixDdl(name: string): string {
  const columns = [
    "id integer PRIMARY KEY",
    ...scalars.map((c) => `"${c.name}" ${c.ddl}`),
    ...scalars.map((c) => `"${c.name}_a" ${c.ddl}[]`),
  ];
  return `CREATE TABLE "${name}" (${columns.join(", ")})`;
}

export function matrixEnumDdl(): string {
  const labels = MATRIX_ENUM_LABELS.map((l) => `'${l.replace(/'/g, "''")}'`).join(", ");
  return `CREATE TYPE ${MATRIX_ENUM} AS ENUM (${labels})`;
}

/** All 256 byte values, in order. */
const ALL_BYTES = `decode((SELECT string_agg(lpad(to_hex(i), 2, '0'), '' ORDER BY i) FROM generate_series(0, 255) i), 'hex')`;

/** Text that needs every kind of escaping: JSON, array literal and COPY text. */
const NASTY_TEXT = `E'back\\\\slash \\\\N "dq" ''sq'' tab\\tnl\\ncr\\r \\x01\\x1f\\x7f \\u2028 é 日本 😀 {a,b} NULL'`;

/**
 * Rows of the matrix as SQL expressions by column name (columns not named are NULL).
 * `serverVersion` (server_version_num) adds what only newer servers hold.
 */
export function matrixRows(serverVersion: number): Record<string, string>[] {
  const rows: Record<string, string>[] = [
    // 1: every column NULL.
    {},
    // 2: ordinary values.
    {
      t: "'hello'",
      vc: "'abc'",
      ch: "'ab'",
      i2: "7",
      i4: "42",
      i8: "42",
      n: "'12.50'",
      nps: "'3.1415926535'",
      f4: "'0.1'",
      f8: "'0.1'",
      b: "true",
      ts: "'2024-02-29 12:34:56.123456'",
      ts3: "'2024-02-29 12:34:56.789'",
      tstz: "'2024-06-01 12:00:00.000001+05:30'",
      d: "'2024-02-29'",
      tm: "'12:34:56.5'",
      tmtz: "'12:00:00+05:30'",
      iv: "'1 year 2 mons -3 days 04:05:06.789'",
      u: "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
      j: `'{"a" : 1,  "a": 2, "b":"\\u00e9\\ud83d\\ude00" ,\n "c": [ 1 , 2.50 ]}'`,
      jb: `'{"b": 1, "a": [1, 2.50, "x"], "u": "\\u00e9", "c": "\\u0001"}'`,
      by: "'\\x0a0b'",
      e: "'ok'",
      t_a: "ARRAY['a', 'b']",
      vc_a: "ARRAY['abcde']",
      ch_a: "ARRAY['a', 'abc']",
      i2_a: "ARRAY[1, -2]::smallint[]",
      i4_a: "ARRAY[1, 2, 3]",
      i8_a: "ARRAY[1, 2]::bigint[]",
      n_a: "ARRAY[1.50, 2]::numeric[]",
      nps_a: "ARRAY[1.5]::numeric[]",
      f4_a: "ARRAY[0.1, 1.5]::real[]",
      f8_a: "ARRAY[0.1, 1.5]::float8[]",
      b_a: "ARRAY[true, false]",
      ts_a: "ARRAY['2024-01-01 00:00:00.5']::timestamp[]",
      ts3_a: "ARRAY['2024-01-01 00:00:00.123']::timestamp(3)[]",
      tstz_a: "ARRAY['2024-01-01 00:00:00+01']::timestamptz[]",
      d_a: "ARRAY['2024-01-01']::date[]",
      tm_a: "ARRAY['01:02:03']::time[]",
      tmtz_a: "ARRAY['01:02:03-07']::timetz[]",
      iv_a: "ARRAY['1 day', '24:00:00']::interval[]",
      u_a: "ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']::uuid[]",
      j_a: `ARRAY['{"a" : 1, "a":2}', ' [1 , 2] ', '"\\\\"']::json[]`,
      jb_a: `ARRAY['{"b": 1, "a": 2}', '[]', '"x"']::jsonb[]`,
      by_a: "ARRAY['\\x00ff', '\\x']::bytea[]",
      e_a: "ARRAY['sad', 'ok']::mood[]",
    },
    // 3: largest values.
    {
      t: "repeat('x', 100000)",
      vc: "'😀😀😀😀😀'",
      ch: "'😀é😀'",
      i2: "32767",
      i4: "2147483647",
      i8: "9223372036854775807",
      n: "'1234567890123456789012345678901234567890.0123456789012345678901234567890123456789'",
      nps: "'999999999999999999999999999999.9999999999'",
      f4: "'3.4028235e38'",
      f8: "'1.7976931348623157e308'",
      b: "true",
      ts: "'294276-12-31 23:59:59.999999'",
      ts3: "'294276-12-31 23:59:59.999'",
      tstz: "'294276-12-31 23:59:59.999999+00'",
      d: "'5874897-12-31'",
      tm: "'24:00:00'",
      tmtz: "'23:59:59.999999-15:59:59'",
      iv: "'178000000 years 11 mons 2147483647 days 2562047788:00:54.775807'",
      u: "'ffffffff-ffff-ffff-ffff-ffffffffffff'",
      j: "'\n [ 1e400 , -0, 1.0E+2 ]\t'",
      jb: "'[1e1000, 0.000, -0]'",
      by: ALL_BYTES,
      e: "'ünï😀'",
      i8_a: "ARRAY[9223372036854775807, -9223372036854775808]::bigint[]",
      i4_a: "ARRAY[2147483647, -2147483648]",
      i2_a: "ARRAY[32767, -32768]::smallint[]",
      vc_a: "ARRAY['😀😀😀😀😀', '']::varchar(5)[]",
      by_a: `ARRAY[${ALL_BYTES}]`,
      n_a: "ARRAY['1234567890123456789012345678901234567890.0123456789']::numeric[]",
      ts_a: "ARRAY['294276-12-31 23:59:59.999999', 'infinity', '-infinity']::timestamp[]",
      d_a: "ARRAY['5874897-12-31', 'infinity']::date[]",
    },
    // 4: smallest values, BC years, beyond 2^53.
    {
      t: "''",
      vc: "''",
      ch: "'   '",
      i2: "-32768",
      i4: "-2147483648",
      i8: "-9223372036854775808",
      n: "'-0.00000000000000000000000000000000000001'",
      nps: "'-0.0000000001'",
      f4: "'1.4e-45'",
      f8: "'5e-324'",
      b: "false",
      ts: "'4714-11-24 00:00:00 BC'",
      ts3: "'0001-12-31 23:59:59.999 BC'",
      tstz: "'4714-11-24 00:00:00+00 BC'",
      d: "'4714-11-24 BC'",
      tm: "'00:00:00'",
      tmtz: "'00:00:00+15:59:59'",
      iv: "'-178000000 years -11 mons -2147483648 days -2562047788:00:54.775807'",
      u: "'00000000-0000-0000-0000-000000000000'",
      j: `'"\\u0000 lone \\ud800"'`,
      jb: "'null'",
      by: "'\\x'",
      e: "''",
      i8_a: "ARRAY[9007199254740993, -9007199254740993]::bigint[]",
      ts_a: "ARRAY['0001-01-01 00:00:00 BC', '10000-01-01 00:00:00']::timestamp[]",
      tstz_a: "ARRAY['4714-11-24 00:00:00+00 BC', '-infinity']::timestamptz[]",
      d_a: "ARRAY['0001-01-01 BC', '-infinity']::date[]",
      iv_a: "ARRAY['-00:00:00.000001', '0']::interval[]",
      tm_a: "ARRAY['24:00:00', '00:00:00.000001']::time[]",
      tmtz_a: "ARRAY['24:00:00+00', '00:00:00-15:59:59']::timetz[]",
    },
    // 5: NaN, infinities, negative zero, beyond year 9999.
    {
      t: NASTY_TEXT,
      i8: "9007199254740993",
      n: "'NaN'",
      nps: "'NaN'",
      f4: "'-0'",
      f8: "'-0'",
      ts: "'infinity'",
      ts3: "'-infinity'",
      tstz: "'infinity'",
      d: "'-infinity'",
      iv: "'00:00:00'",
      j: `'{"k":"\\"quoted\\" \\\\ back"}'`,
      jb: `'{"k": "\\"quoted\\" \\\\ back \\ud83d\\ude00"}'`,
      e: `'quo"te'`,
      n_a: "ARRAY['NaN', 'Infinity', '-Infinity', '-1.50', NULL]::numeric[]",
      f4_a: "ARRAY['NaN', 'Infinity', '-Infinity', '-0', '1.4e-45', NULL]::real[]",
      f8_a: "ARRAY['NaN', 'Infinity', '-Infinity', '-0', '5e-324', '1e-310', NULL]::float8[]",
    },
    // 6: numeric infinities, more text.
    {
      t: "E'line1\\r\\nline2\\\\n'",
      n: "'Infinity'",
      f4: "'NaN'",
      f8: "'-Infinity'",
      ts: "'10000-01-01 00:00:00'",
      tstz: "'-infinity'",
      d: "'10000-01-01'",
      e: `'back\\slash'`,
    },
    // 7: empty arrays.
    Object.fromEntries(scalars.map((c) => [`${c.name}_a`, `'{}'::${c.ddl}[]`])),
    // 8: arrays of one NULL, and of two.
    Object.fromEntries(scalars.map((c, i) => [`${c.name}_a`, `'{NULL${i % 2 ? ",NULL" : ""}}'::${c.ddl}[]`])),
    // 9: array elements that need quoting.
    {
      n: "'-Infinity'",
      f4: "'Infinity'",
      t_a: `ARRAY['a,b', '{x}', '"q"', 'back\\slash', 'NULL', 'null', '', ' spaced ', NULL, 'ü😀', E'new\\nline\\ttab', ${NASTY_TEXT}]`,
      vc_a: "ARRAY['NULL', ' ', '\"', '\\\\', ',']::varchar(5)[]",
      ch_a: "ARRAY['a', '  ', NULL, '\"', 'N']::char(3)[]",
      j_a: `ARRAY['{"a" : "b,c"}', 'null', NULL, '"NULL"']::json[]`,
      jb_a: `ARRAY['{"a": "{b}"}', 'null', NULL]::jsonb[]`,
      e_a: `ARRAY['with space', 'quo"te', 'back\\slash', 'NULL', 'a,b{}', 'ünï😀', '', NULL]::mood[]`,
      u_a: "ARRAY[NULL, 'ffffffff-ffff-ffff-ffff-ffffffffffff']::uuid[]",
      by_a: "ARRAY[NULL, '\\x5c22', '\\x']::bytea[]",
      b_a: "ARRAY[NULL, true]::boolean[]",
    },
  ];
  if (serverVersion >= 170_000) {
    // Interval infinities exist from PostgreSQL 17.
    rows.push({ iv: "'infinity'", iv_a: "ARRAY['infinity', '-infinity', NULL]::interval[]" });
  }
  return rows;
}
