import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { Output } from "../../src/cli/output.js";
import { createProgressReporter } from "../../src/cli/progress.js";
import { presetProjectConfig } from "../../src/config/project-config.js";
import { ConnectionError, InterruptedError, OutputError } from "../../src/errors.js";
import { type ExportOptions, exportSnapshot } from "../../src/export/export.js";
import { verifySnapshot } from "../../src/verify/verify.js";
import { fullDiskAfter, testConnection, useLoadedSource } from "../helpers/export.js";

/** A stream that records what is written and claims to be a terminal. */
function fakeTerminal(): Writable & { isTTY: boolean; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  }) as Writable & { isTTY: boolean; columns: number; text: () => string };
  stream.isTTY = true;
  stream.columns = 120;
  stream.text = () => chunks.join("");
  return stream;
}

describe("export progress, interruption and a failing disk", () => {
  const source = useLoadedSource({ users: 3, books: 300 }, "booksnap-progress-");
  const options = (name: string): ExportOptions => ({
    connection: testConnection(source.db.url),
    outDir: source.work,
    name,
    config: presetProjectConfig(),
    redactionKey: null,
    fetchRows: 50,
  });
  const exportSessions = () =>
    source.db.withClient(async (c) => {
      const r = await c.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'booksnap-export' AND datname = $1`,
        [source.db.name],
      );
      return r.rows[0].n as number;
    });

  it("reports rows with a known total after each batch, and draws rows, rows/s and ETA on a TTY", async () => {
    const terminal = fakeTerminal();
    const reporter = createProgressReporter(new Output(fakeTerminal(), terminal, false, false));
    const seen: Array<{ label: string; done: number; total?: number }> = [];
    const result = await exportSnapshot(options("progress"), {
      now: () => new Date(),
      onProgress: (update) => {
        seen.push(update);
        reporter.update(update);
      },
    });
    reporter.stop();
    const total = result.rows;
    expect(seen.every((u) => u.total === total)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ label: "BookInReadingList", done: total });
    expect(seen.filter((u) => u.label === "Book").length).toBeGreaterThanOrEqual(6); // 300 books / 50 per fetch
    const drawn = terminal.text();
    expect(drawn).toContain("rows/s");
    expect(drawn).toContain("ETA");
    expect(drawn).toContain(`/${total} rows`);
  });

  it("draws nothing when stderr is not a terminal or in --json mode", () => {
    const plain = fakeTerminal();
    plain.isTTY = false;
    createProgressReporter(new Output(fakeTerminal(), plain, false, false)).update({
      label: "Book",
      done: 1,
      total: 2,
    });
    const json = fakeTerminal();
    createProgressReporter(new Output(fakeTerminal(), json, true, false)).update({
      label: "Book",
      done: 1,
      total: 2,
    });
    expect(plain.text() + json.text()).toBe("");
  });

  it("an abort (Ctrl-C) stops after the current batch and leaves no files and no session", async () => {
    const controller = new AbortController();
    const error = await exportSnapshot(options("interrupted"), {
      now: () => new Date(),
      signal: controller.signal,
      onProgress: ({ label, done }) => {
        if (label === "Book" && done > 100) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterruptedError);
    expect((await readdir(source.work)).filter((f) => f.startsWith("interrupted"))).toEqual([]);
    expect(await exportSessions()).toBe(0);
  });

  it("a session killed by a DBA mid-export fails with E_CONNECTION_LOST (exit 3), no files, no hang", async () => {
    let killed = 0;
    // Read one page ahead at most: otherwise all 300 books may be fetched before the kill lands,
    // and an export that has read everything it needs rightly succeeds.
    const error = await exportSnapshot(
      { ...options("killed"), readAheadBytes: 1 },
      {
        now: () => new Date(),
        onProgress: async ({ label, done }) => {
          if (label !== "Book" || done < 100 || killed > 0) return;
          killed = await source.db.withClient(async (c) => {
            const r = await c.query(
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'booksnap-export' AND datname = $1`,
              [source.db.name],
            );
            return r.rowCount ?? 0;
          });
        },
      },
    ).catch((e: unknown) => e);
    expect(killed).toBe(1);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe("E_CONNECTION_LOST");
    expect((error as ConnectionError).exitCode).toBe(3);
    expect((await readdir(source.work)).filter((f) => f.startsWith("killed"))).toEqual([]);
  });

  it("a full disk fails with E_WRITE and removes the partial file", async () => {
    const error = await exportSnapshot(options("full-disk"), {
      now: () => new Date(),
      writer: {
        wrapFileStream: fullDiskAfter(20_000),
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputError);
    expect((error as OutputError).code).toBe("E_WRITE");
    expect((error as OutputError).hint).toContain("disk is full");
    expect((await readdir(source.work)).filter((f) => f.startsWith("full-disk"))).toEqual([]);
    expect(await exportSessions()).toBe(0);
  });

  it("a failed --force export leaves the previous snapshot of that name intact", async () => {
    await exportSnapshot(options("keep"), { now: () => new Date() });
    const failingDisk = () =>
      new Writable({
        write(_chunk, _encoding, callback) {
          callback(Object.assign(new Error("EIO: i/o error, write"), { code: "EIO" }));
        },
      });
    const error = await exportSnapshot(
      { ...options("keep"), force: true },
      { now: () => new Date(), writer: { wrapFileStream: failingDisk } },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputError);
    await expect(verifySnapshot(join(source.work, "keep"))).resolves.toMatchObject({
      lines: 300 + 3 + 9 + 90,
    });
  });
});
