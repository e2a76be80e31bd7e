import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../src/db/connect.js";
import { ConnectionError } from "../../src/errors.js";
import { readInBatches } from "../../src/export/read-model.js";
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
    const batches = readInBatches(client, { text: "SELECT pg_sleep(30) AS slept", values: [] }, 10, 300);
    const error = await batches.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe("E_TIMEOUT");
    await ended; // the socket was destroyed, so the process can exit
    await client.end().catch(() => {});
  });
});
