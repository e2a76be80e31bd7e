/**
 * Server time to render rows as JSON text, by SQL form (issue 11: rowJsonSql in
 * src/schema/values/render.ts). Not part of `npm run bench`: run it by hand against a
 * disposable server and copy the numbers into docs/benchmarks.md.
 *
 *   BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npx tsx bench/row-json.ts [rows] [runs]
 *
 * Each form runs `SELECT sum(octet_length(<form>)) FROM t` (the rendering, not the transfer)
 * `runs` times, the forms taking turns; reported is the least CPU time the server process spent
 * (utime+stime from /proc, so the server must run on this machine): CPU time, unlike wall time,
 * holds still on a shared, busy machine. Tables: a book-like table (21 columns, two text[],
 * an enum, three timestamps) and a 150-column table (past json_build_array's 100 arguments).
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import pg from "pg";
import type { ColumnDescription, ColumnType, TableDescription } from "../src/schema/description.js";
import { renderSql, rowJsonSql } from "../src/schema/values/render.js";
import { sessionSettingsSql } from "../src/schema/values/settings.js";

const adminUrl = process.env.BENCH_DATABASE_URL;
if (!adminUrl) throw new Error("BENCH_DATABASE_URL is required (superuser URL of a disposable server)");
const rows = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 5);

const col = (
  name: string,
  type: Partial<ColumnType> & Pick<ColumnType, "kind">,
  sql: string,
): ColumnDescription => ({
  name,
  type: { array: false, sql, ...type },
  nullable: true,
  default: null,
  identity: null,
  generated: false,
});

const book: TableDescription = {
  name: "Book",
  columns: [
    col("id", { kind: "int4" }, "integer"),
    col("ownerId", { kind: "int4" }, "integer"),
    col("isbn10", { kind: "text", length: 10 }, "character varying(10)"),
    col("isbn13", { kind: "text", length: 13 }, "character varying(13)"),
    col("title", { kind: "text" }, "text"),
    col("titleLong", { kind: "text" }, "text"),
    col("language", { kind: "text" }, "text"),
    col("synopsis", { kind: "text" }, "text"),
    col("image", { kind: "text" }, "text"),
    col("imageOriginal", { kind: "text" }, "text"),
    col("publisher", { kind: "text" }, "text"),
    col("edition", { kind: "text" }, "text"),
    col("pageCount", { kind: "int4" }, "integer"),
    col("datePublished", { kind: "text" }, "text"),
    col("subjects", { kind: "text", array: true }, "text[]"),
    col("authors", { kind: "text", array: true }, "text[]"),
    col("binding", { kind: "text" }, "text"),
    col("visibility", { kind: "enum", enumName: "BookVisibility" }, '"BookVisibility"'),
    col("readDate", { kind: "timestamp", precision: 3 }, "timestamp(3) without time zone"),
    col("createdAt", { kind: "timestamp", precision: 3 }, "timestamp(3) without time zone"),
    col("updatedAt", { kind: "timestamp", precision: 3 }, "timestamp(3) without time zone"),
  ],
  primaryKey: ["id"],
  foreignKeys: [],
  uniques: [],
  indexes: [],
};

const WIDE_COLUMNS = 150;
const wide: TableDescription = {
  name: "wide",
  columns: [
    col("id", { kind: "int4" }, "integer"),
    ...Array.from({ length: WIDE_COLUMNS - 1 }, (_, i) =>
      i % 3 === 0
        ? col(`c${i}`, { kind: "int4" }, "integer")
        : i % 3 === 1
          ? col(`c${i}`, { kind: "text" }, "text")
          : col(`c${i}`, { kind: "int8" }, "bigint"),
    ),
  ],
  primaryKey: ["id"],
  foreignKeys: [],
  uniques: [],
  indexes: [],
};

const q = (name: string) => `"${name}"`;

async function setup(client: pg.Client): Promise<void> {
  await client.query(`CREATE TYPE "BookVisibility" AS ENUM ('PUBLIC', 'PRIVATE')`);
  await client.query(
    `CREATE TABLE "Book" (${book.columns.map((c) => `${q(c.name)} ${c.type.sql}`).join(", ")})`,
  );
  await client.query(`INSERT INTO "Book" SELECT i, i % 3000, lpad(i::text, 10, '0'), lpad(i::text, 13, '9'),
      'Title ' || i, 'The long title of book ' || i || ': a "subtitle"', 'en',
      repeat('A synopsis sentence with some words, é and "quotes". ', 10 + i % 20),
      'https://images.example/' || i || '.jpg', 'https://images.example/orig/' || i || '.jpg',
      'Publisher ' || (i % 500), CASE WHEN i % 2 = 0 THEN 'First' END, 100 + i % 900, (1900 + i % 125)::text,
      ARRAY['Fiction', 'Subject ' || (i % 40), 'History'], ARRAY['Author ' || (i % 9000)],
      'Paperback', CASE WHEN i % 4 = 0 THEN 'PRIVATE' ELSE 'PUBLIC' END::"BookVisibility",
      CASE WHEN i % 3 = 0 THEN now() - i * interval '1 hour' END, now() - i * interval '1 minute', now()
    FROM generate_series(1, ${rows}) i`);
  await client.query(
    `CREATE TABLE wide (${wide.columns.map((c) => `${q(c.name)} ${c.type.sql}`).join(", ")})`,
  );
  const values = wide.columns.map((c, i) =>
    i === 0
      ? "i"
      : c.type.kind === "text"
        ? `'value ' || i || ' ${i}'`
        : c.type.kind === "int8"
          ? `i::bigint * ${i * 1000003}`
          : `i + ${i}`,
  );
  await client.query(`INSERT INTO wide SELECT ${values.join(", ")} FROM generate_series(1, ${rows}) i`);
  await client.query("VACUUM ANALYZE");
}

/** `a || b || …` parenthesised as a balanced tree: each byte is copied log2(n) times, not n. */
function balanced(parts: string[]): string {
  if (parts.length === 1) return parts[0] as string;
  const half = Math.ceil(parts.length / 2);
  return `(${balanced(parts.slice(0, half))} || ${balanced(parts.slice(half))})`;
}

/** A json_build_array argument whose JSON is the format-2 encoding: the value itself, its text, or json. */
function encodedArg(column: ColumnDescription): string {
  const ref = `t.${q(column.name)}`;
  const { kind, array } = column.type;
  const native = ["int2", "int4", "bool", "text", "enum", "uuid"].includes(kind);
  if (array) return native ? `to_json(${ref})` : `to_json(${ref}::text[])`;
  return native ? ref : `${ref}::text`;
}

function forms(table: TableDescription): Record<string, string> {
  const rendered = table.columns.map((c) => renderSql(c, "t"));
  const raw = table.columns.map((c) => `t.${q(c.name)}`);
  const chunks = (items: string[], size: number) =>
    Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));
  const withCommas = rendered.flatMap((r, i) => (i === 0 ? [r] : ["','", r]));
  const out: Record<string, string> = {
    "rowJsonSql (json_build_array, guarded)": rowJsonSql(table, "t"),
    "rowJsonSql (json_build_array, unguarded)": rowJsonSql(table, "t", { guardArrayShapes: false }),
    "|| chain (compact ',')": `'[' || ${rendered.join(" || ',' || ")} || ']'`,
    "|| balanced tree": `'[' || ${balanced(withCommas)} || ']'`,
    "concat() in chunks of 99": `concat('[', ${chunks(withCommas, 99)
      .map((c) => `concat(${c.join(", ")})`)
      .join(", ")}, ']')`,
    "array_to_string(ARRAY[…])": `'[' || array_to_string(ARRAY[${rendered.join(", ")}], ',') || ']'`,
    "row_to_json(t) (object, native types)": "row_to_json(t)::text",
    "to_json(ARRAY[…]::json[]) (per-value json)": `array_to_json(ARRAY[${rendered.map((r) => `${r}::json`).join(", ")}])::text`,
  };
  if (raw.length <= 100)
    out["json_build_array(cols) (native types, ', ')"] = `json_build_array(${raw.join(", ")})::text`;
  if (raw.length <= 100) {
    out["json_build_array(encoded args) (', ')"] =
      `json_build_array(${table.columns.map((c) => encodedArg(c)).join(", ")})::text`;
  }
  return out;
}

/** CPU time (ms) the backend process has used so far: utime + stime, in clock ticks of 10 ms. */
function backendCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function time(client: pg.Client, pid: number, sql: string): Promise<{ ms: number; bytes: number }> {
  const start = backendCpuMs(pid);
  const result = await client.query<{ n: string }>(sql);
  return { ms: backendCpuMs(pid) - start, bytes: Number(result.rows[0]?.n ?? 0) };
}

async function main(): Promise<void> {
  const name = `booksnap_rowjson_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl as string);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const version = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v"))
      .rows[0]?.v;
    console.log(`PostgreSQL ${version}, ${rows} rows, least server CPU time of ${runs} runs`);
    await setup(client);
    await client.query(sessionSettingsSql());
    await client.query("SET max_parallel_workers_per_gather = 0");
    const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]
      ?.pid as number;
    const only = process.env.BENCH_TABLES?.split(",");
    for (const table of [book, wide].filter((t) => !only || only.includes(t.name))) {
      console.log(`\n${table.name} (${table.columns.length} columns)`);
      const all: [string, string][] = [
        ["scan only (count(*))", "SELECT count(*) AS n FROM TABLE t"],
        ...Object.entries(forms(table)).map(([label, form]): [string, string] => [
          label,
          `SELECT sum(octet_length(${form})) AS n FROM TABLE t`,
        ]),
      ];
      const best = new Map<string, { ms: number; bytes: number }>();
      for (let run = 0; run <= runs; run++) {
        for (const [label, sql] of all) {
          const r = await time(client, pid, sql.replace("TABLE", q(table.name)));
          if (run === 0) continue; // warm-up
          const seen = best.get(label);
          if (!seen || r.ms < seen.ms) best.set(label, r);
        }
      }
      const reference = best.get(all[1]?.[0] as string)?.ms as number;
      for (const [label] of all) {
        const r = best.get(label) as { ms: number; bytes: number };
        const extra = label.startsWith("scan")
          ? ""
          : `  ${(r.ms / reference).toFixed(2)}x  ${(r.bytes / rows).toFixed(0)} B/row`;
        console.log(`  ${label.padEnd(48)} ${r.ms.toFixed(0).padStart(6)} ms${extra}`);
      }
    }
  } finally {
    await client.end();
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  }
}

await main();
