import { constants } from "node:fs";
import { type FileHandle, link, lstat, open, rename, unlink } from "node:fs/promises";
import { OutputError } from "../errors.js";

/**
 * Every file booksnap writes holds production rows or says who touched which database. These
 * helpers are the one place that creates, appends to and publishes such files, so none of them
 * ever writes through a planted symbolic link, into a FIFO or device, or over a file it did not
 * create.
 */

const { O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_WRONLY } = constants;

/** Owner read/write only: the files hold production data. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates a new file, mode 0600 whatever the umask: O_EXCL fails on any existing name (a planted
 * symbolic link included, dangling or not), so nothing that was there is ever opened.
 */
export async function createPrivateFile(path: string): Promise<FileHandle> {
  const handle = await open(path, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY, PRIVATE_FILE_MODE);
  try {
    // The umask can only take bits away; fchmod on the handle sets exactly 0600 without a path.
    await handle.chmod(PRIVATE_FILE_MODE);
  } catch (error) {
    await handle.close();
    await unlink(path).catch(() => {});
    throw error;
  }
  return handle;
}

/**
 * Appends text to a log file, creating it (0600) if missing. An existing name must be a regular
 * file of the current user with no other name: a symbolic link (O_NOFOLLOW), a FIFO (O_NONBLOCK
 * makes open fail instead of waiting for a reader), a device or a hard link to another file is
 * refused with E_UNSAFE_FILE.
 */
export async function appendToPrivateFile(path: string, text: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, O_CREAT | O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK, PRIVATE_FILE_MODE);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || code === "ENXIO") throw unsafeFileError(path, "a symbolic link or a FIFO", error);
    throw error;
  }
  try {
    const stats = await handle.stat();
    const uid = process.geteuid?.();
    if (!stats.isFile()) throw unsafeFileError(path, "not a regular file");
    if (uid !== undefined && stats.uid !== uid) throw unsafeFileError(path, "owned by another user");
    if (stats.nlink !== 1) throw unsafeFileError(path, "a file with other names (hard links)");
    if ((stats.mode & 0o777) !== PRIVATE_FILE_MODE) await handle.chmod(PRIVATE_FILE_MODE);
    await handle.write(text);
  } finally {
    await handle.close();
  }
}

/**
 * Gives a complete temporary file its final name without replacing anything: link(2) fails with
 * EEXIST atomically when the name is taken (another run won the race, or a file was planted).
 * Returns false then, and the temporary file is left for the caller to remove.
 */
export async function publishWithoutReplacing(tempPath: string, finalPath: string): Promise<boolean> {
  try {
    await link(tempPath, finalPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    // Some file systems (FAT, some network mounts) have no hard links: check, then rename. The
    // window between the two is as small as it gets there.
    if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "ENOSYS") {
      if (await exists(finalPath)) return false;
      await rename(tempPath, finalPath);
      return true;
    }
    throw error;
  }
  await unlink(tempPath);
  return true;
}

/**
 * Gives a complete temporary file its final name, replacing what is there (--force). rename(2)
 * replaces the name itself: a symbolic link at the final name is replaced, its target untouched.
 */
export async function publishReplacing(tempPath: string, finalPath: string): Promise<void> {
  await rename(tempPath, finalPath);
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => error.code !== "ENOENT",
  );
}

function unsafeFileError(path: string, what: string, cause?: unknown): OutputError {
  return new OutputError("E_UNSAFE_FILE", `Refusing to write ${path}: it is ${what}`, {
    ...(cause === undefined ? {} : { cause }),
    hint: "booksnap only writes regular files it created. Remove or rename that path, or choose another location.",
    details: { path },
  });
}
