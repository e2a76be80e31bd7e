import { createHmac, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { link, lstat, mkdir, open, unlink } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import type { Environment } from "./env.js";

/** Environment variable holding a team-wide secret HMAC key (wins over the key file). */
export const REDACTION_KEY_VARIABLE = "BOOKSNAP_REDACTION_KEY";
/** Overrides the config directory (tests, several identities on one host). */
export const CONFIG_DIR_VARIABLE = "BOOKSNAP_CONFIG_DIR";
/** Name of the generated key file inside the config directory. */
export const REDACTION_KEY_FILE = "redaction.key";

/** 32 random bytes as 64 lowercase hex digits, one line: the only content a key file may have. */
const KEY_FILE_CONTENT = /^[0-9a-f]{64}\n?$/;

/** The key that pseudonymises user PII, and where it came from. */
export interface RedactionKey {
  /** The secret; never printed, logged or written to a snapshot. */
  key: string;
  /** Public identifier: equal ids = equal keys = pseudonyms that line up. */
  keyId: string;
  /** "env": BOOKSNAP_REDACTION_KEY; "file": the per-user key file (created on first use). */
  source: "env" | "file";
  /** The key file, when source is "file". */
  path?: string;
}

/**
 * Identifies a key without revealing it: an HMAC under the key (not a plain hash, so the id
 * is no shortcut for checking guessed keys beyond what a pseudonym already allows).
 */
export function redactionKeyId(key: string): string {
  return createHmac("sha256", key).update("booksnap key id").digest("hex").slice(0, 16);
}

/** $BOOKSNAP_CONFIG_DIR, else $XDG_CONFIG_HOME/booksnap, else ~/.config/booksnap. */
export function configDir(env: Environment): string {
  if (env[CONFIG_DIR_VARIABLE]) return env[CONFIG_DIR_VARIABLE];
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, "booksnap");
  return join(env.HOME || homedir(), ".config", "booksnap");
}

/**
 * The redaction key: BOOKSNAP_REDACTION_KEY when set (empty is refused: it would be a key
 * anyone can guess), otherwise a random key kept 0600 in the user's config directory, created
 * on first use so repeated exports from the same host give the same pseudonyms.
 */
export async function resolveRedactionKey(env: Environment): Promise<RedactionKey> {
  const fromEnv = env[REDACTION_KEY_VARIABLE];
  if (fromEnv !== undefined) {
    if (fromEnv.trim() === "") {
      throw new UsageError(`${REDACTION_KEY_VARIABLE} is set but empty`, {
        code: "E_REDACTION_KEY",
        hint: `Unset it to use the generated per-user key, or set a long random secret (e.g. openssl rand -hex 32).`,
      });
    }
    return { key: fromEnv, keyId: redactionKeyId(fromEnv), source: "env" };
  }
  const dir = configDir(env);
  const path = join(dir, REDACTION_KEY_FILE);
  const key = (await readKeyFile(path)) ?? (await createKeyFile(dir, path));
  return { key, keyId: redactionKeyId(key), source: "file", path };
}

function keyFileError(path: string, problem: string, cause?: unknown): UsageError {
  return new UsageError(`Refusing the redaction key file ${path}: ${problem}`, {
    code: "E_REDACTION_KEY",
    hint: `Fix or remove it (a new random key is then created, and pseudonyms change), or set ${REDACTION_KEY_VARIABLE}.`,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Reads an existing key file, or undefined when there is none. Refuses anything suspicious. */
async function readKeyFile(path: string): Promise<string | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP") throw keyFileError(path, "it is a symbolic link", error);
    throw keyFileError(path, `cannot open it (${code ?? error})`, error);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw keyFileError(path, "it is not a regular file");
    if ((info.mode & 0o077) !== 0) {
      throw keyFileError(
        path,
        `it is readable or writable by others (mode ${(info.mode & 0o777).toString(8)}; expected 600)`,
      );
    }
    if (typeof process.getuid === "function" && info.uid !== process.getuid()) {
      throw keyFileError(path, "it belongs to another user");
    }
    if (info.size > 1024) throw keyFileError(path, "it is not a booksnap key (too large)");
    const text = await handle.readFile("utf8");
    if (!KEY_FILE_CONTENT.test(text)) throw keyFileError(path, "it is not a booksnap key (malformed)");
    return text.trim();
  } finally {
    await handle.close();
  }
}

/**
 * Creates the key file atomically: the key is written and synced under a private temporary
 * name (O_EXCL|O_NOFOLLOW, 0600), then hard-linked to the final name, which fails with EEXIST
 * if another run got there first. Readers thus never see a half-written key, and two first
 * runs at once end with the same key.
 */
async function createKeyFile(dir: string, path: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const dirInfo = await lstat(dir);
  if (!dirInfo.isDirectory()) throw keyFileError(path, `${dir} is not a directory`);
  const key = randomBytes(32).toString("hex");
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const handle = await open(
    temporary,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await handle.writeFile(`${key}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temporary, path);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST")
      throw keyFileError(path, "cannot create it", error);
    const existing = await readKeyFile(path);
    if (existing === undefined) throw keyFileError(path, "it vanished while being created", error);
    return existing;
  } finally {
    await unlink(temporary).catch(() => {});
  }
}
