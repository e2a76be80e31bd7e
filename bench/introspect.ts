/**
 * `npm run bench:introspect -- [--calls 200]`: what reading the schema costs export and import
 * (src/schema/introspect.ts), on a database built by the bundled migrations, inside a READ ONLY
 * REPEATABLE READ transaction like export's. Prints, per call: wall time (best and median), the
 * server backend's CPU time and this process's CPU time (wall time on a shared machine mostly
 * measures the queue for a core; CPU time does not), and per catalog query the server's own
 * planning + execution time (EXPLAIN ANALYZE, best of 15).
 */
import { existsSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import pg from "pg";
import { applyMigrations } from "../src/db/migrate.js";
import * as queries from "../src/schema/catalog-queries.js";
import { introspectSchema } from "../src/schema/introspect.js";
import { databaseUrl, withClient } from "./databases.js";
import { startBenchServer } from "./server.js";

const { values } = parseArgs({ options: { calls: { type: "string", default: "200" } } });
const calls = Number(values.calls);
const log = (message: string) => process.stderr.write(`[bench:introspect] ${message}\n`);

/** utime + stime of a local process in ms (clock ticks of 10 ms, USER_HZ 100 on Linux), or null. */
function processCpuMs(pid: number): number | null {
  const path = `/proc/${pid}/stat`;
  if (!existsSync(path)) return null;
  const fields = (readFileSync(path, "utf8").split(") ")[1] ?? "").split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const spread = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { best: sorted[0] ?? 0, median: sorted[Math.floor(sorted.length / 2)] ?? 0 };
};

async function explainBest(client: pg.Client, sql: string, args: unknown[]): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 15; i++) {
    const { rows } = await client.query(`EXPLAIN (ANALYZE, SUMMARY) ${sql}`, args);
    const text = rows.map((row) => row["QUERY PLAN"]).join("\n");
    const time = (label: string) => Number(new RegExp(`${label} Time: ([\\d.]+)`).exec(text)?.[1] ?? 0);
    best = Math.min(best, time("Planning") + time("Execution"));
  }
  return best;
}

const server = await startBenchServer(process.env, log);
const name = `booksnap_bench_introspect_${process.pid}`;
try {
  await withClient(server.adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = databaseUrl(server.adminUrl, name);
  await withClient(url, (c) => applyMigrations(c));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    const backend = rows[0]?.pid ?? 0;
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const { description } = await introspectSchema(client); // warms the catalog caches
    const walls: number[] = [];
    const serverBefore = processCpuMs(backend);
    const nodeBefore = process.cpuUsage();
    for (let i = 0; i < calls; i++) {
      const start = performance.now();
      await introspectSchema(client);
      walls.push(performance.now() - start);
    }
    const node = process.cpuUsage(nodeBefore);
    const serverAfter = processCpuMs(backend);
    const wall = spread(walls);
    const oids = (await client.query(queries.TABLES_SQL, ["public"])).rows.map((row) => row.oid);
    const typeOids = [
      ...new Set((await client.query(queries.COLUMNS_SQL, [oids])).rows.map((row) => row.type_oid)),
    ];
    const perQuery: Array<[string, string, unknown[]]> = [
      ["tables", queries.TABLES_SQL, ["public"]],
      ["columns", queries.COLUMNS_SQL, [oids]],
      ["types", queries.TYPES_SQL, [typeOids]],
      ["constraints", queries.CONSTRAINTS_SQL, [oids]],
      ["indexes", queries.INDEXES_SQL, [oids]],
    ];
    const explained: string[] = [];
    for (const [label, sql, args] of perQuery) {
      explained.push(`${label} ${(await explainBest(client, sql, args)).toFixed(2)}`);
    }
    await client.query("ROLLBACK");
    const columns = description.tables.reduce((sum, table) => sum + table.columns.length, 0);
    const lines = [
      `PostgreSQL ${server.version} (${server.origin}); ${description.tables.length} tables, ${columns} columns; ${calls} calls; load ${loadavg()[0]?.toFixed(1)}`,
      `wall per call: best ${wall.best.toFixed(2)} ms, median ${wall.median.toFixed(2)} ms`,
      `CPU per call: server backend ${serverBefore === null || serverAfter === null ? "n/a (not local)" : `${((serverAfter - serverBefore) / calls).toFixed(2)} ms`}, this process (node and tsx threads) ${((node.user + node.system) / 1000 / calls).toFixed(2)} ms`,
      `server planning + execution per query, ms (best of 15): ${explained.join(", ")}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await client.end();
  }
} finally {
  await withClient(server.adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  await server.stop();
}
