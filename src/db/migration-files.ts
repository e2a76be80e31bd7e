import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "../errors.js";

/** One Prisma migration directory: `<dir>/<name>/migration.sql`. */
export interface MigrationFile {
  /** The directory name, e.g. `20251125174723_add_social_media_links`; recorded as `migration_name`. */
  name: string;
  /** The script as text (Prisma reads it as UTF-8 and refuses anything else). */
  script: string;
  /** SHA-256 of the file's bytes, lower-case hex: what `prisma migrate deploy` records. */
  checksum: string;
}

/** The provider `migration_lock.toml` must name for booksnap (and Prisma) to apply the directory here. */
const POSTGRES_PROVIDER = "postgresql";

/**
 * Reads a Prisma migrations directory the way `prisma migrate deploy` does: every subdirectory is
 * a migration, applied in name order, and must hold a `migration.sql`; `migration_lock.toml`, when
 * present, must name the postgresql provider. Problems are usage errors: nothing has been touched.
 */
export async function readMigrationsDir(dir: string): Promise<MigrationFile[]> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw badDir(dir, `cannot read it (${(error as NodeJS.ErrnoException).code ?? error})`, error);
  }
  await checkLockProvider(dir);
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  if (names.length === 0) throw badDir(dir, "it holds no migrations (subdirectories with a migration.sql)");
  const files: MigrationFile[] = [];
  for (const name of names) {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dir, name, "migration.sql"));
    } catch (error) {
      throw badDir(
        dir,
        `${name}/migration.sql cannot be read (${(error as NodeJS.ErrnoException).code})`,
        error,
      );
    }
    let script: string;
    try {
      script = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch (error) {
      throw badDir(dir, `${name}/migration.sql is not valid UTF-8`, error);
    }
    files.push({ name, script, checksum: sha256Hex(bytes) });
  }
  return files;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * Whether a recorded checksum belongs to this script. Like Prisma, a file whose line endings
 * git changed (CRLF ↔ LF) still matches, and so do checksums written by old Prisma versions,
 * which dropped each byte's leading zero.
 */
export function scriptMatchesChecksum(script: string, recorded: string): boolean {
  const variants = [script, script.replaceAll("\r\n", "\n"), script.replaceAll("\n", "\r\n")];
  return variants.some((variant) => {
    const digest = createHash("sha256").update(variant).digest();
    const current = digest.toString("hex");
    const unpadded = [...digest].map((byte) => byte.toString(16)).join("");
    return recorded === current || (recorded.length !== 64 && recorded === unpadded);
  });
}

async function checkLockProvider(dir: string): Promise<void> {
  let lock: string;
  try {
    lock = await readFile(join(dir, "migration_lock.toml"), "utf8");
  } catch {
    return; // optional, as for Prisma
  }
  const provider = /^\s*provider\s*=\s*"([^"]*)"/m.exec(lock)?.[1];
  if (provider !== undefined && provider !== POSTGRES_PROVIDER) {
    throw new UsageError(
      `The migrations in ${dir} are for ${JSON.stringify(provider)}, not PostgreSQL (migration_lock.toml)`,
      {
        code: "E_MIGRATION_PROVIDER",
        hint: "Point --migrations at the prisma/migrations directory of an app that uses PostgreSQL.",
      },
    );
  }
}

function badDir(dir: string, why: string, cause?: unknown): UsageError {
  return new UsageError(`Cannot use ${dir} as a migrations directory: ${why}`, {
    code: "E_MIGRATIONS_DIR",
    hint: "Pass the app's prisma/migrations directory with --migrations DIR (or leave it out for the bundled one).",
    ...(cause === undefined ? {} : { cause }),
  });
}
