import pg from "pg";

/** The same server URL, pointed at another database. */
export function databaseUrl(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * Runs fn with a plain client (no booksnap session settings) and always closes it. For
 * administration around the tool: tests, the demo's and the benchmark's own databases.
 */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
