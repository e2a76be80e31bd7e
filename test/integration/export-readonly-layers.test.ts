import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase, withAdmin, withClient } from "../helpers/db.js";
import { filesIn } from "../helpers/export.js";
import { type Rewrite, RewriteProxy } from "../helpers/rewrite-proxy.js";

/**
 * The session `booksnap export` really opens is read-only in three layers: the session default
 * (default_transaction_read_only=on), `BEGIN … READ ONLY`, and a `transaction_read_only` check.
 * The source is a trap: reading "Book" as the export role runs a row-level security policy whose
 * SECURITY DEFINER function inserts into a log table, so any read in a writable transaction
 * leaves a trace. A proxy that rewrites what the tool sends removes one layer at a time: each
 * remaining layer must still stop the write, and removing any one layer in the code fails a test.
 */
const role = `booksnap_reader_${randomBytes(4).toString("hex")}`;
// Servers that check passwords (the embedded one) need one; a trust server ignores it.
const rolePassword = randomBytes(12).toString("hex");
let source: TestDatabase;
let work: string;
let readerUrl: string;

/** Layer 1 gone: the startup option becomes a harmless custom setting of the same length. */
const DROP_SESSION_DEFAULT: Rewrite = {
  from: "default_transaction_read_only=on",
  to: "booksnap.rewritten_by_proxy_1=on",
};
/** Layer 2 gone: the transaction is begun without READ ONLY. */
const DROP_BEGIN_READ_ONLY: Rewrite = { from: "REPEATABLE READ READ ONLY", to: "REPEATABLE READ          " };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "booksnap-ro-layers-"));
  source = await createTestDatabase();
  await source.withClient(async (c) => {
    await loadLibrary(c, generateLibrary({ users: 1, books: 3 }));
    await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${rolePassword}'`);
    await c.query(
      `GRANT SELECT ON "AppSettings", "User", "Book", "ReadingList", "BookInReadingList" TO ${role}`,
    );
    await c.query(`CREATE SCHEMA trace; CREATE TABLE trace.writes (id serial, transaction_read_only text)`);
    await c.query(`CREATE FUNCTION trace.record_read() RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER
                     SET search_path = pg_catalog AS $$
                   BEGIN
                     INSERT INTO trace.writes (transaction_read_only) VALUES (current_setting('transaction_read_only'));
                     RETURN true;
                   END $$`);
    await c.query(`ALTER TABLE "Book" ENABLE ROW LEVEL SECURITY`);
    await c.query(`CREATE POLICY trace_reads ON "Book" FOR SELECT USING (trace.record_read())`);
  });
  const url = new URL(source.url);
  url.username = role;
  url.password = rolePassword;
  readerUrl = url.toString();
});
afterAll(async () => {
  await source?.drop();
  await withAdmin((c) => c.query(`DROP ROLE IF EXISTS ${role}`));
  if (work) await rm(work, { recursive: true, force: true });
});

const traces = () =>
  source.withClient(
    async (c) => (await c.query("SELECT count(*)::int AS n FROM trace.writes")).rows[0].n as number,
  );

async function exportThrough(rewrites: readonly Rewrite[]) {
  const server = new URL(source.url);
  const proxy =
    rewrites.length > 0
      ? await RewriteProxy.start({ host: server.hostname, port: Number(server.port || 5432) }, rewrites)
      : undefined;
  try {
    const from = proxy ? proxy.url(readerUrl) : readerUrl;
    return await runBooksnap(
      ["export", "--from-env", "SRC", "--out", "out", "--name", `ro-${randomBytes(3).toString("hex")}`],
      {
        cwd: work,
        env: { SRC: from },
      },
    );
  } finally {
    await proxy?.close();
  }
}

describe("the read-only export session, layer by layer, against a source where any write leaves a trace", () => {
  it("the trap works: a read-write read of Book by the export role logs it", async () => {
    await withClient(readerUrl, (c) => c.query(`SELECT count(*) FROM "Book"`));
    expect(await traces()).toBeGreaterThan(0);
    await source.withClient((c) => c.query("TRUNCATE trace.writes"));
  });

  it("all layers: the write is refused (E_WRITE_REFUSED), nothing logged, no snapshot", async () => {
    const run = await exportThrough([]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain("[E_WRITE_REFUSED]");
    expect(await traces()).toBe(0);
    expect(await filesIn(join(work, "out"))).toEqual([]);
  });

  it("session default removed by a proxy: BEGIN … READ ONLY still refuses the write", async () => {
    const run = await exportThrough([DROP_SESSION_DEFAULT]);
    expect(run.stderr).toContain("[E_WRITE_REFUSED]");
    expect(await traces()).toBe(0);
  });

  it("READ ONLY removed from BEGIN by a proxy: the session default still refuses the write", async () => {
    const run = await exportThrough([DROP_BEGIN_READ_ONLY]);
    expect(run.stderr).toContain("[E_WRITE_REFUSED]");
    expect(await traces()).toBe(0);
  });

  it("both removed: the transaction_read_only check refuses to read at all (exit 2 E_NOT_READ_ONLY)", async () => {
    const run = await exportThrough([DROP_SESSION_DEFAULT, DROP_BEGIN_READ_ONLY]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain("[E_NOT_READ_ONLY]");
    expect(await traces()).toBe(0);
  });
});
