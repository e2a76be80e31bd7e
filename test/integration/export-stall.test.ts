import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../src/db/connect.js";
import { copyOutLines } from "../../src/db/copy-out.js";
import { type BooksnapError, ConnectionError } from "../../src/errors.js";
import { classifyQueryError } from "../../src/export/query-errors.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

describe("export reads never wait forever", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(() => db?.drop());

  it("a fetch with no answer within the read timeout fails with E_TIMEOUT and drops the connection", async () => {
    const client = await connect({
      url: db.url,
      applicationName: "booksnap-stall-test",
      readOnly: true,
      tls: "auto",
      connectTimeoutMs: 5_000,
      statementTimeoutMs: 0, // the server will not cancel: only the client-side watchdog can end this
      lockTimeoutMs: 0,
    });
    const ended = new Promise<void>((resolve) => client.once("end", () => resolve()));
    await client.query("BEGIN READ ONLY");
    // A server that stays silent for 30 s, like a stalled network path.
    const chunks = copyOutLines(client, "SELECT pg_sleep(30)::text", { silenceTimeoutMs: 300 });
    const error = await chunks.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe("E_TIMEOUT");
    await ended; // the socket was destroyed, so the process can exit
    await client.end().catch(() => {});
  });

  it("failures during reads are classified: socket errors and killed sessions are E_CONNECTION_LOST, timeouts E_TIMEOUT", () => {
    const url = "postgresql://u:Secret-pw-123@db/books";
    const classify = (error: unknown) => classifyQueryError(error, "reading Book", url) as BooksnapError;
    for (const code of ["EPIPE", "ECONNRESET", "57P01", "08006"]) {
      const error = classify(Object.assign(new Error(`write ${code}`), { code }));
      expect([error.code, error.exitCode]).toEqual(["E_CONNECTION_LOST", 3]);
    }
    expect(classify(new Error("Connection terminated unexpectedly")).code).toBe("E_CONNECTION_LOST");
    expect(
      classify(Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" }))
        .code,
    ).toBe("E_TIMEOUT");
    const leaky = classify(Object.assign(new Error(`bad thing at ${url}`), { code: "XX000" }));
    expect(leaky.message).not.toContain("Secret-pw-123");
    expect(leaky.details).toMatchObject({ sqlstate: "XX000", during: "reading Book" });
  });
});
