import { randomBytes } from "node:crypto";
import { lstat, readdir, unlink } from "node:fs/promises";
import { join } from "node:path";

/**
 * Temporary files are written next to their final name and renamed (or linked) into place when
 * complete. Their names say which process made them and when (`<final>.tmp-<pid>-<ms>-<rand>`),
 * so a later run can tell a file a killed process left behind (holding production rows) from one
 * a running export is still writing.
 */

/** A temp file whose pid is alive but that nobody wrote for this long was left by a process whose pid was reused: no export or import stays silent for a day. */
export const ABANDONED_AFTER_MS = 24 * 60 * 60 * 1000;

const TEMP_NAME = /^(.+)\.tmp-(\d+)-(\d+)(?:-[0-9a-f]+)?$/;

/** A fresh temporary path next to `finalPath`, unique to this process and call. */
export function tempPathFor(finalPath: string, nowMs: number = Date.now()): string {
  return `${finalPath}.tmp-${process.pid}-${nowMs}-${randomBytes(3).toString("hex")}`;
}

/** One temporary file found in a directory. */
export interface TempFile {
  path: string;
  /** The name it would have had once complete. */
  finalName: string;
  /** The process that made it. */
  pid: number;
  /** When it was started (from its name). */
  startedAt: string;
  bytes: number;
  /**
   * "abandoned": its process is gone (or the pid was reused long after) and the file is ours to
   * remove; "in-use": a running process may still be writing it; "foreign": abandoned-looking but
   * another user's file, left alone.
   */
  state: "abandoned" | "in-use" | "foreign";
}

/** The temporary files in `dir` whose final name `belongs` accepts (none if the directory is missing). */
export async function findTempFiles(
  dir: string,
  belongs: (finalName: string) => boolean,
): Promise<TempFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const found: TempFile[] = [];
  for (const name of names.sort()) {
    const match = TEMP_NAME.exec(name);
    if (!match || !belongs(match[1] as string)) continue;
    const path = join(dir, name);
    const stats = await lstat(path).catch(() => undefined);
    if (!stats?.isFile()) continue;
    const pid = Number(match[2]);
    const abandoned = !isRunning(pid) || Date.now() - stats.mtimeMs > ABANDONED_AFTER_MS;
    const uid = process.geteuid?.();
    found.push({
      path,
      finalName: match[1] as string,
      pid,
      startedAt: new Date(Number(match[3])).toISOString(),
      bytes: stats.size,
      state: !abandoned ? "in-use" : uid === undefined || stats.uid === uid ? "abandoned" : "foreign",
    });
  }
  return found;
}

/** Removes the abandoned temporary files in `dir` (see findTempFiles); returns their paths. */
export async function removeAbandonedTempFiles(
  dir: string,
  belongs: (finalName: string) => boolean,
): Promise<string[]> {
  const removed: string[] = [];
  // Best effort: a directory that cannot be read fails later with a clearer error, or not at all.
  for (const temp of await findTempFiles(dir, belongs).catch(() => [])) {
    if (temp.state !== "abandoned") continue;
    await unlink(temp.path).then(
      () => removed.push(temp.path),
      () => {},
    );
  }
  return removed;
}

/** Whether a process with this id exists (EPERM: it does, as another user's). */
function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
