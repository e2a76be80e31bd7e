import pg from "pg";
import { type ConnectionSettings, connect, disconnect } from "./db/connect.js";
import { applyMigrationFiles, BUNDLED_MIGRATIONS_DIR, type MigrationResult } from "./db/migrate.js";
import { readMigrationsDir } from "./db/migration-files.js";
import { describeLocation, parseDatabaseUrl } from "./db/url.js";
import { READ_ONLY_SQLSTATE, readOnlyTargetError } from "./import/classify.js";
import { assertDevelopmentHost } from "./import/target-guard.js";

export interface PrepareOptions {
  connection: ConnectionSettings;
  /** Create the database first when it does not exist (connects to the server's `postgres` db). */
  createDatabase: boolean;
  /** A Prisma migrations directory (e.g. the app's prisma/migrations); default: the bundled one. */
  migrationsDir?: string;
  /** Allow a host that is neither this machine nor on a private network (--allow-remote-target). */
  allowRemoteTarget?: boolean;
  /** Cleanup problems (a created database that could not be dropped again). */
  warn?: (message: string) => void;
}

export interface PrepareResult extends MigrationResult {
  database: string;
  createdDatabase: boolean;
  migrationsDir: string;
}

/**
 * Brings an empty (or earlier prepared) dev database to the schema of a migrations directory,
 * recording the history as `prisma migrate deploy` does (see applyMigrationFiles). The database
 * name is the one the driver will use (resolveConnectionTarget), so the database created is
 * the one migrated; one created here is dropped again if migrating it fails.
 */
export async function prepareDatabase(options: PrepareOptions): Promise<PrepareResult> {
  const { url, env } = options.connection;
  assertDevelopmentHost(url, options.allowRemoteTarget ?? false, env, "prepare");
  const { database } = describeLocation(url, env);
  const migrationsDir = options.migrationsDir ?? BUNDLED_MIGRATIONS_DIR;
  // Read (and check) the migrations before touching any database.
  const migrations = await readMigrationsDir(migrationsDir);
  const createdDatabase = options.createDatabase
    ? await createDatabaseIfMissing(options.connection, database)
    : false;
  try {
    const client = await connect(options.connection);
    try {
      const result = await applyMigrationFiles(client, migrations, migrationsDir);
      return { ...result, database, createdDatabase, migrationsDir };
    } finally {
      await disconnect(client);
    }
  } catch (error) {
    if (createdDatabase) await dropCreatedDatabase(options.connection, database, options.warn);
    if ((error as { code?: string })?.code === READ_ONLY_SQLSTATE) {
      throw readOnlyTargetError(`Cannot prepare ${database}: ${(error as Error).message}`, error, {
        sqlstate: READ_ONLY_SQLSTATE,
      });
    }
    throw error;
  }
}

/** The same server (host and port resolved as for the target), its `postgres` database. */
function adminSettings(settings: ConnectionSettings): ConnectionSettings {
  const adminUrl = parseDatabaseUrl(settings.url);
  adminUrl.pathname = "/postgres";
  return { ...settings, url: adminUrl.toString() };
}

async function createDatabaseIfMissing(settings: ConnectionSettings, database: string): Promise<boolean> {
  const admin = await connect(adminSettings(settings));
  try {
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (exists.rowCount) return false;
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
    return true;
  } finally {
    await disconnect(admin);
  }
}

async function dropCreatedDatabase(
  settings: ConnectionSettings,
  database: string,
  warn: ((message: string) => void) | undefined,
): Promise<void> {
  try {
    const admin = await connect(adminSettings(settings));
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
    } finally {
      await disconnect(admin);
    }
  } catch (error) {
    warn?.(`could not drop the database ${database} created for this run: ${(error as Error).message}`);
  }
}
