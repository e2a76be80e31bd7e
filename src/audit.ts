import { mkdir } from "node:fs/promises";
import { hostname, userInfo } from "node:os";
import { join } from "node:path";
import { appendToPrivateFile } from "./fs/private-file.js";

/** One line of logs/audit.ndjson: who ran what against which database, and how it ended. */
export interface AuditRecord {
  command: "export" | "import";
  /** "ok", "failed", "interrupted", "dry-run". */
  status: string;
  startedAt: string;
  durationMs: number;
  /** host:port/database, never credentials. */
  database: string;
  snapshot?: string;
  /** import: where the snapshot's owners went (--owners collapse|keep). */
  owners?: "collapse" | "keep";
  /** import: the snapshot owner put on the dev user (--as), or null. */
  as?: string | null;
  counts?: Record<string, unknown>;
  error?: { code: string; message: string };
}

/**
 * Appends an audit record (file mode 0600). The log directory is created on first use; an
 * existing log must be a regular file of ours (never a link, FIFO or device: E_UNSAFE_FILE).
 */
export async function appendAuditRecord(logDir: string, record: AuditRecord): Promise<string> {
  await mkdir(logDir, { recursive: true, mode: 0o700 });
  const path = join(logDir, "audit.ndjson");
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): keep "unknown".
  }
  const line = JSON.stringify({ at: new Date().toISOString(), user, host: hostname(), ...record });
  await appendToPrivateFile(path, `${line}\n`);
  return path;
}
