import { constants, type Stats } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { SnapshotIntegrityError } from "../errors.js";

/**
 * O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever; on a regular
 * file it changes nothing. O_NOCTTY: a terminal device never becomes our controlling terminal.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * Opens a snapshot file for reading and refuses anything but a regular file (a FIFO, /dev/zero,
 * a directory…) before a byte is read: such a "file" could block or never end. The check is
 * made on the opened descriptor (fstat), so the file read is the file checked. Errors of open
 * itself (ENOENT, EACCES…) are thrown as they are, for the caller to explain.
 */
export async function openRegularFile(
  path: string,
  what: string,
): Promise<{ handle: FileHandle; stats: Stats }> {
  const handle = await open(path, OPEN_FLAGS);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new SnapshotIntegrityError("E_NOT_REGULAR_FILE", `The ${what} ${path} is not a regular file`, {
        hint: "Snapshot files must be plain files; a pipe or device could block or never end.",
        details: { kind: fileKind(stats) },
      });
    }
    return { handle, stats };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return "directory";
  if (stats.isFIFO()) return "fifo";
  if (stats.isCharacterDevice()) return "character device";
  if (stats.isBlockDevice()) return "block device";
  if (stats.isSocket()) return "socket";
  return "other";
}

/**
 * Reads at most `maxBytes` + 1 bytes of an opened file: a file that grew after fstat is still
 * read with bounded memory, and the caller sees that it is over the limit.
 */
export async function readBounded(handle: FileHandle, maxBytes: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(maxBytes + 1);
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}
