import { randomBytes } from "node:crypto";
import type pg from "pg";
import { inject } from "vitest";
import { applyMigrations } from "../../src/db/migrate.js";
import { databaseUrl, withClient } from "../../src/db/plain-client.js";

export interface TestDatabase {
  name: string;
  /** URL of this test's own database. */
  url: string;
  /** Runs fn with a fresh client on this database. */
  withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T>;
  drop(): Promise<void>;
}

export function adminUrl(): string {
  return inject("adminUrl");
}

export { databaseUrl, withClient };

/** Runs fn with a fresh client on the test server's admin database (roles, databases). */
export function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(adminUrl(), fn);
}

/** Creates a database for one test; `migrate` applies the bundled migrations. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `booksnap_t_${randomBytes(6).toString("hex")}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = databaseUrl(adminUrl(), name);
  const onThisDatabase = <T>(fn: (client: pg.Client) => Promise<T>) => withClient(url, fn);
  if (options.migrate ?? true) await onThisDatabase((c) => applyMigrations(c));
  return {
    name,
    url,
    withClient: onThisDatabase,
    drop: () =>
      withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
