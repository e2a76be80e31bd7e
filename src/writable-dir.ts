import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { OutputError } from "./errors.js";

/**
 * Pre-flight for a directory booksnap will write into (--out, --log-dir, the rejects file's
 * directory): it must be a writable directory, or not exist yet below a writable directory (it
 * is created). Checked before connecting, so a typo costs no production read (exit 9).
 */
export async function assertWritableDir(dir: string, what: string, code: string): Promise<void> {
  let existing = dir;
  for (;;) {
    const found = await stat(existing).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw unusable(dir, what, code, error.message, error);
    });
    if (found) {
      if (!found.isDirectory()) {
        throw unusable(dir, what, code, `${existing} exists and is not a directory`);
      }
      break;
    }
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  try {
    await access(existing, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw unusable(dir, what, code, (error as Error).message, error);
  }
}

function unusable(dir: string, what: string, code: string, why: string, cause?: unknown): OutputError {
  return new OutputError(code, `Cannot write ${what} in ${dir}: ${why}`, {
    ...(cause === undefined ? {} : { cause }),
    hint: `Choose a ${what} location that is a directory you can write to (it is created if missing).`,
    details: { path: dir },
  });
}
