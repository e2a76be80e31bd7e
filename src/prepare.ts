import pg from "pg";
import { type ConnectionSettings, connect, disconnect } from "./db/connect.js";
import { applyMigrations, type MigrationResult } from "./db/migrate.js";
import { describeLocation, parseDatabaseUrl } from "./db/url.js";

export interface PrepareOptions {
  connection: ConnectionSettings;
  /** Create the database first when it does not exist (connects to the server's `postgres` db). */
  createDatabase: boolean;
}

export interface PrepareResult extends MigrationResult {
  database: string;
  createdDatabase: boolean;
}

/** Brings an empty (or older) dev database to the schema booksnap imports into. */
export async function prepareDatabase(options: PrepareOptions): Promise<PrepareResult> {
  const { database } = describeLocation(options.connection.url);
  const createdDatabase = options.createDatabase
    ? await createDatabaseIfMissing(options.connection, database)
    : false;
  const client = await connect(options.connection);
  try {
    const result = await applyMigrations(client);
    return { ...result, database, createdDatabase };
  } finally {
    await disconnect(client);
  }
}

async function createDatabaseIfMissing(settings: ConnectionSettings, database: string): Promise<boolean> {
  const adminUrl = parseDatabaseUrl(settings.url);
  adminUrl.pathname = "/postgres";
  const admin = await connect({ ...settings, url: adminUrl.toString() });
  try {
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (exists.rowCount) return false;
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
    return true;
  } finally {
    await disconnect(admin);
  }
}
