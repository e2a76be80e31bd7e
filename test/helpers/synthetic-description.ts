import type { ColumnDescription, SchemaDescription, TableDescription } from "../../src/schema/description.js";

const column = (
  name: string,
  sql: string,
  kind: ColumnDescription["type"]["kind"],
  extra: Partial<ColumnDescription> = {},
): ColumnDescription => ({
  name,
  type: { kind, array: false, sql },
  nullable: false,
  default: null,
  identity: null,
  generated: false,
  ...extra,
});

/**
 * A schema description shaped like what introspection returns for an app schema: `tables` tables
 * in a chain (each references the previous one), `columns` columns each (id, a FK, then a mix of
 * types), with indexes. Used to measure manifest sizes and to test format-2 parsing without a database.
 */
export function syntheticDescription(tables: number, columns: number): SchemaDescription {
  const out: TableDescription[] = [];
  for (let t = 0; t < tables; t += 1) {
    const name = `Table${t}`;
    const cols: ColumnDescription[] = [
      column("id", "integer", "int4", { default: `nextval('"${name}_id_seq"'::regclass)` }),
    ];
    if (t > 0) cols.push(column("parentId", "integer", "int4", { nullable: true }));
    const kinds: Array<[ColumnDescription["type"]["kind"], string]> = [
      ["text", "text"],
      ["timestamp", "timestamp(3) without time zone"],
      ["bool", "boolean"],
      ["numeric", "numeric(65,30)"],
      ["jsonb", "jsonb"],
      ["enum", '"Status"'],
    ];
    for (let c = cols.length; c < columns; c += 1) {
      const [kind, sql] = kinds[c % kinds.length] as [ColumnDescription["type"]["kind"], string];
      cols.push(
        column(`column${c}`, sql, kind, {
          nullable: c % 2 === 0,
          ...(kind === "enum" ? { type: { kind, array: false, sql, enumName: "Status" } } : {}),
          ...(kind === "timestamp" ? { default: "CURRENT_TIMESTAMP" } : {}),
        }),
      );
    }
    out.push({
      name,
      columns: cols,
      primaryKey: ["id"],
      foreignKeys:
        t > 0
          ? [
              {
                name: `${name}_parentId_fkey`,
                columns: ["parentId"],
                references: { table: `Table${t - 1}`, columns: ["id"] },
                onDelete: "cascade",
                onUpdate: "cascade",
                deferrable: false,
              },
            ]
          : [],
      uniques: [],
      indexes: [
        {
          name: `${name}_pkey`,
          definition: `CREATE UNIQUE INDEX "${name}_pkey" ON public."${name}" USING btree (id)`,
        },
        ...(t > 0
          ? [
              {
                name: `${name}_parentId_idx`,
                definition: `CREATE INDEX "${name}_parentId_idx" ON public."${name}" USING btree ("parentId")`,
              },
            ]
          : []),
      ],
    });
  }
  return { schema: "public", tables: out, enums: { Status: ["ACTIVE", "ARCHIVED", "DELETED"] } };
}
