import { constants } from "node:fs";
import { lstat, open, rm, unlink } from "node:fs/promises";
import { UsageError } from "../errors.js";
import { createPrivateFile, publishReplacing, publishWithoutReplacing } from "../fs/private-file.js";
import { tempPathFor } from "../fs/temp-files.js";
import { asOutputError } from "../snapshot/data-writer.js";
import { type RejectedRecord, type RejectsSummary, writeRejectLines } from "./rejects.js";

/** Bytes of an existing file read to recognise a dead-letter file: its first line holds one record (a long synopsis fits). */
const FIRST_LINE_MAX_BYTES = 1024 * 1024;

/**
 * The dead-letter file (<name>.rejects.ndjson or --rejects) of one import. It is claimed before
 * anything is written anywhere: the path must be free, or hold the dead-letter file of an earlier
 * import (a regular file of ours whose first line is a rejected record). Anything else — a
 * symbolic link, a directory, someone's notes.md — is refused with E_REJECTS_EXISTS (exit 2).
 * The file is written under a temporary name (0600, created exclusively) and renamed into place,
 * so whatever a link at the path points to is never opened.
 */
export class DeadLetterFile {
  private constructor(
    readonly path: string,
    /** The name holds our dead-letter file (an earlier run's, or this run's): replace it. */
    private ours: boolean,
  ) {}

  /** Checks the path before the import writes anything (see the class comment). */
  static async claim(path: string): Promise<DeadLetterFile> {
    const state = await inspectPath(path);
    if (state === "free") return new DeadLetterFile(path, false);
    if (state === "dead-letter") return new DeadLetterFile(path, true);
    throw new UsageError(`Refusing to write rejected records to ${path}: it exists and is ${state}`, {
      code: "E_REJECTS_EXISTS",
      hint: "Name a new file with --rejects (booksnap only replaces a dead-letter file it wrote), or move that one away.",
      details: { path },
    });
  }

  /** Writes every rejected record (one JSON line each) and puts the file in place. */
  async write(rejects: AsyncIterable<RejectedRecord> | Iterable<RejectedRecord>): Promise<RejectsSummary> {
    const tempPath = tempPathFor(this.path);
    // Created exclusively: if that fails, the name was not ours and is not removed below.
    const handle = await createPrivateFile(tempPath).catch((error: unknown) => {
      throw asOutputError(error, this.path);
    });
    try {
      let summary: RejectsSummary;
      try {
        summary = await writeRejectLines(handle, rejects);
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (this.ours) await publishReplacing(tempPath, this.path);
      else if (!(await publishWithoutReplacing(tempPath, this.path))) {
        throw new UsageError(`Refusing to write rejected records to ${this.path}: a file appeared there`, {
          code: "E_REJECTS_EXISTS",
          hint: "Name a new file with --rejects.",
          details: { path: this.path },
        });
      }
      this.ours = true;
      return summary;
    } catch (error) {
      await rm(tempPath, { force: true }).catch(() => {});
      throw asOutputError(error, this.path);
    }
  }

  /**
   * No record was rejected: a dead-letter file at the path (this run's earlier attempt, or an
   * earlier import's) would describe rejects that did not happen, so it goes. Nothing else does.
   */
  async removeOutdated(): Promise<void> {
    if (this.ours && (await inspectPath(this.path)) === "dead-letter") await unlink(this.path);
  }
}

type PathState = "free" | "dead-letter" | string;

/** "free", "dead-letter", or what else is there (for the message). */
async function inspectPath(path: string): Promise<PathState> {
  let stats: Awaited<ReturnType<typeof lstat>>;
  try {
    stats = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "free";
    throw asOutputError(error, path);
  }
  if (stats.isSymbolicLink()) return "a symbolic link";
  if (stats.isDirectory()) return "a directory";
  if (!stats.isFile()) return "not a regular file";
  const uid = process.geteuid?.();
  if (uid !== undefined && stats.uid !== uid) return "another user's file";
  if (stats.nlink !== 1) return "a file with other names (hard links)";
  return (await startsWithRejectedRecord(path)) ? "dead-letter" : "not a dead-letter file booksnap wrote";
}

async function startsWithRejectedRecord(path: string): Promise<boolean> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const buffer = Buffer.alloc(FIRST_LINE_MAX_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const end = buffer.subarray(0, bytesRead).indexOf(0x0a);
    if (end < 0) return false;
    const first: unknown = JSON.parse(buffer.subarray(0, end).toString("utf8"));
    return isRejectedRecord(first);
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}

function isRejectedRecord(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const r = value as Record<string, unknown>;
  return (
    Number.isInteger(r.line) &&
    (typeof r.model === "string" || r.model === null) &&
    typeof r.reason === "string" &&
    (r.category === "validation" || r.category === "constraint")
  );
}
