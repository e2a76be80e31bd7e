import type { ColumnType, ScalarKind } from "./description.js";

/**
 * Turning a column's catalog type (pg_type rows, the column's typmod and declared dimensions)
 * into a ColumnType booksnap carries, or the reason it cannot. Pure: src/schema/introspect.ts
 * reads the rows, this decides.
 */

/** One pg_type row, as src/schema/introspect.ts reads it. */
export interface CatalogType {
  oid: number;
  name: string;
  schema: string;
  /** pg_type.typtype: b base, c composite, d domain, e enum, p pseudo, r range, m multirange. */
  typtype: string;
  /** A true array type: its element type's typarray points back at it (int2vector/oidvector are not). */
  isArray: boolean;
  /** pg_type.typelem (arrays). */
  element: number;
  /** pg_type.typbasetype (domains). */
  base: number;
  /** pg_type.typtypmod: the typmod a domain applies to its base type, else -1. */
  typmod: number;
  /** pg_type.typndims: dimensions a domain over an array type declares. */
  ndims: number;
  /** A domain declared NOT NULL. */
  notNull: boolean;
  /** Enum labels in enumsortorder, for typtype "e". */
  enumLabels: string[] | null;
}

/** Built-in types by OID (pg_type.dat: these OIDs are fixed in every PostgreSQL release). */
const KIND_BY_OID: ReadonlyMap<number, ScalarKind> = new Map<number, ScalarKind>([
  [25, "text"],
  [1043, "text"], // varchar
  [1042, "text"], // bpchar
  [21, "int2"],
  [23, "int4"],
  [20, "int8"],
  [1700, "numeric"],
  [700, "float4"],
  [701, "float8"],
  [16, "bool"],
  [1114, "timestamp"],
  [1184, "timestamptz"],
  [1082, "date"],
  [1083, "time"],
  [1266, "timetz"],
  [1186, "interval"],
  [2950, "uuid"],
  [114, "json"],
  [3802, "jsonb"],
  [17, "bytea"],
]);
const VARCHAR = 1043;
const BPCHAR = 1042;

/** What the column's type resolves to: a carried type, or the reason it is not carried. */
export type ResolvedColumnType =
  | {
      supported: true;
      type: ColumnType;
      /** A domain on the way declared NOT NULL: the column never holds NULL. */
      domainNotNull: boolean;
      /** The enum the column uses (itself or through a domain / array): its labels. */
      enumType?: { name: string; labels: string[] };
    }
  | { supported: false; reason: string };

const typtypeReasons: Record<string, string> = {
  c: "composite type",
  r: "range type",
  m: "multirange type",
  p: "pseudo-type",
};

/** `name` when the type lives in the described schema (or is built in), else `schema.name`. */
function typeName(type: CatalogType, describedSchema: string): string {
  const unqualified = type.schema === describedSchema || type.schema === "pg_catalog";
  return unqualified ? type.name : `${type.schema}.${type.name}`;
}

/**
 * Resolves a column declared as `typeOid` with `typmod` (pg_attribute.atttypmod) and `declaredDims`
 * (pg_attribute.attndims). `sql` is format_type() of the column, recorded as is.
 */
export function resolveColumnType(
  column: { typeOid: number; typmod: number; declaredDims: number; sql: string },
  types: ReadonlyMap<number, CatalogType>,
  describedSchema: string,
): ResolvedColumnType {
  const lookup = (oid: number): CatalogType => {
    const found = types.get(oid);
    if (!found) throw new Error(`internal: pg_type ${oid} was not read`);
    return found;
  };
  let current = lookup(column.typeOid);
  let typmod = column.typmod;
  let dims = column.declaredDims;
  let domain: string | undefined;
  let domainNotNull = false;
  let array = false;
  // Domains (possibly over domains, over arrays, or arrays of domains) resolve to their base type;
  // a domain's own typmod (e.g. varchar(5)) applies to its base when the column has none.
  for (;;) {
    if (current.typtype === "d") {
      domain ??= typeName(current, describedSchema);
      // NOT NULL of a domain constrains the column only above the array (a NOT NULL element domain does not).
      if (!array) domainNotNull ||= current.notNull;
      if (typmod < 0) typmod = current.typmod;
      dims = Math.max(dims, current.ndims);
      current = lookup(current.base);
    } else if (current.isArray) {
      if (array) return { supported: false, reason: "array of an array type (multi-dimensional)" };
      array = true;
      dims = Math.max(dims, 1);
      current = lookup(current.element);
    } else {
      break;
    }
  }
  if (dims > 1) return { supported: false, reason: `multi-dimensional array (${dims} dimensions declared)` };

  const described = typeName(current, describedSchema);
  if (current.typtype === "e") {
    const type: ColumnType = { kind: "enum", array, sql: column.sql, enumName: described };
    if (domain) type.domain = domain;
    return {
      supported: true,
      type,
      domainNotNull,
      enumType: { name: described, labels: current.enumLabels ?? [] },
    };
  }
  const kind = current.typtype === "b" ? KIND_BY_OID.get(current.oid) : undefined;
  if (!kind) {
    const what = typtypeReasons[current.typtype] ?? "type";
    const reason = `${what} ${described} has no exact encoding in booksnap`;
    return { supported: false, reason: array ? `array of ${reason}` : reason };
  }
  const type: ColumnType = { kind, array, sql: column.sql, ...typmodFields(current.oid, kind, typmod) };
  if (domain) type.domain = domain;
  return { supported: true, type, domainNotNull };
}

/** The declared length / precision / scale a typmod encodes (see PostgreSQL's *typmodout functions). */
function typmodFields(oid: number, kind: ScalarKind, typmod: number): Partial<ColumnType> {
  if (oid === VARCHAR || oid === BPCHAR) {
    const fields: Partial<ColumnType> = oid === BPCHAR ? { fixedLength: true } : {};
    // VARHDRSZ (4) is added to the declared length; -1 means unbounded.
    if (typmod >= 4) fields.length = typmod - 4;
    return fields;
  }
  if (typmod < 0) return {};
  switch (kind) {
    case "numeric": {
      const packed = typmod - 4;
      // numeric_typmod_out: precision in the high 16 bits, scale in the low 11 (signed since PG15).
      return { precision: (packed >> 16) & 0xffff, scale: ((packed & 0x7ff) ^ 1024) - 1024 };
    }
    case "timestamp":
    case "timestamptz":
    case "time":
    case "timetz":
      return { precision: typmod };
    case "interval": {
      // INTERVAL_PRECISION: the low 16 bits, 0xFFFF when only fields (YEAR TO MONTH…) are declared.
      const precision = typmod & 0xffff;
      return precision === 0xffff ? {} : { precision };
    }
    default:
      return {};
  }
}
