import { withClient } from "./databases.js";

/** Server-side time of one statement shape, from pg_stat_statements. */
export interface StatementTime {
  query: string;
  calls: number;
  ms: number;
  rows: number;
}

/**
 * pg_stat_statements when the server has it loaded (the bench's own embedded server does under
 * --profile): where the server's share of a booksnap run goes. Undefined when unavailable.
 */
export async function resetStatementStats(adminUrl: string): Promise<boolean> {
  return withClient(adminUrl, async (client) => {
    try {
      await client.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
      await client.query("SELECT pg_stat_statements_reset()");
      return true;
    } catch {
      return false;
    }
  });
}

export async function topStatements(adminUrl: string, limit = 10): Promise<StatementTime[]> {
  return withClient(adminUrl, async (client) => {
    const result = await client.query<{ query: string; calls: string; ms: number; rows: string }>(
      `SELECT regexp_replace(query, '\\s+', ' ', 'g') AS query, calls, total_exec_time AS ms, rows
         FROM pg_stat_statements
        WHERE dbid <> (SELECT oid FROM pg_database WHERE datname = current_database())
        ORDER BY total_exec_time DESC LIMIT $1`,
      [limit],
    );
    return result.rows.map((r) => ({
      query: r.query.length > 110 ? `${r.query.slice(0, 107)}...` : r.query,
      calls: Number(r.calls),
      ms: Number(r.ms),
      rows: Number(r.rows),
    }));
  });
}
