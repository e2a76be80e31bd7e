import pg from "pg";
import { type ConnectionSettings, connect, disconnect } from "./db/connect.js";
import { applyMigrationFiles, BUNDLED_MIGRATIONS_DIR, type MigrationResult } from "./db/migrate.js";
import { readMigrationsDir } from "./db/migration-files.js";
import { describeLocation, parseDatabaseUrl } from "./db/url.js";

export interface PrepareOptions {
  connection: ConnectionSettings;
  /** Create the database first when it does not exist (connects to the server's `postgres` db). */
  createDatabase: boolean;
  /** A Prisma migrations directory (e.g. the app's prisma/migrations); default: the bundled one. */
  migrationsDir?: string;
}

export interface PrepareResult extends MigrationResult {
  database: string;
  createdDatabase: boolean;
  migrationsDir: string;
}

/**
 * Brings an empty (or earlier prepared) dev database to the schema of a migrations directory,
 * recording the history as `prisma migrate deploy` does (see applyMigrationFiles).
 */
export async function prepareDatabase(options: PrepareOptions): Promise<PrepareResult> {
  const { database } = describeLocation(options.connection.url);
  const migrationsDir = options.migrationsDir ?? BUNDLED_MIGRATIONS_DIR;
  // Read (and check) the migrations before touching any database.
  const migrations = await readMigrationsDir(migrationsDir);
  const createdDatabase = options.createDatabase
    ? await createDatabaseIfMissing(options.connection, database)
    : false;
  const client = await connect(options.connection);
  try {
    const result = await applyMigrationFiles(client, migrations, migrationsDir);
    return { ...result, database, createdDatabase, migrationsDir };
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
