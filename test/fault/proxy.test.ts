import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { adminUrl } from "../helpers/db.js";
import { FaultProxy } from "./proxy.js";

const proxies: FaultProxy[] = [];
const clients: pg.Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.end().catch(() => {});
  for (const proxy of proxies.splice(0)) await proxy.close();
});

async function startProxy(lifetimeMs?: number): Promise<FaultProxy> {
  const proxy = await FaultProxy.forUrl(adminUrl(), lifetimeMs);
  proxies.push(proxy);
  return proxy;
}

async function connectThrough(proxy: FaultProxy, extra: pg.ClientConfig = {}): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: proxy.url(adminUrl()), ...extra });
  client.on("error", () => {}); // a cut surfaces on the pending query; the idle client event is expected
  clients.push(client);
  await client.connect();
  return client;
}

const bigQuery = "SELECT g, repeat('x', 100) AS pad FROM generate_series(1, 20000) g";

describe("fault proxy (loopback TCP between the tool and PostgreSQL)", () => {
  it("passes traffic through untouched and counts bytes both ways", async () => {
    const proxy = await startProxy();
    const client = await connectThrough(proxy);
    const result = await client.query(bigQuery);
    expect(result.rowCount).toBe(20000);
    expect(proxy.bytes.toClient).toBeGreaterThan(20000 * 100);
    expect(proxy.bytes.toServer).toBeGreaterThan(0);
    expect(proxy.connections).toBe(1);
  });

  it("only listens on the loopback interface", async () => {
    const proxy = await startProxy();
    expect(new URL(proxy.url(adminUrl())).hostname).toBe("127.0.0.1");
  });

  it("cuts the connection after N bytes from the server: the client's query fails, the next connection works", async () => {
    const proxy = await startProxy();
    const client = await connectThrough(proxy);
    const fired = proxy.arm({ direction: "toClient", afterBytes: 50_000, action: "cut" });
    await expect(client.query(bigQuery)).rejects.toThrow(/terminated|ECONNRESET|closed/i);
    await fired;
    expect(proxy.cuts).toBe(1);
    expect(proxy.openConnections).toBe(0);
    // The rule fired once; a reconnect goes through normally (what a retry relies on).
    const again = await connectThrough(proxy);
    expect((await again.query("SELECT 1 AS one")).rows[0]).toEqual({ one: 1 });
  });

  it("cuts in the tool → server direction (e.g. mid-COPY FROM STDIN)", async () => {
    const proxy = await startProxy();
    const client = await connectThrough(proxy);
    const before = proxy.bytes.toServer;
    void proxy.arm({ direction: "toServer", afterBytes: 1000, action: "cut" });
    await expect(client.query("SELECT length($1::text) AS n", ["y".repeat(5000)])).rejects.toThrow();
    expect(proxy.bytes.toServer - before).toBe(1000);
  });

  it("cuts when a statement is sent, on its N-th occurrence, before the server sees it", async () => {
    const proxy = await startProxy();
    const client = await connectThrough(proxy);
    const fired = proxy.arm({
      direction: "toServer",
      whenSent: "marker_statement",
      occurrence: 2,
      action: "cut",
    });
    expect((await client.query("SELECT 1 AS marker_statement")).rows).toEqual([{ marker_statement: 1 }]);
    await expect(client.query("SELECT 2 AS marker_statement")).rejects.toThrow();
    await fired;
    expect(proxy.cuts).toBe(1);
    // The server never ran the second statement: a probe on a new connection sees no such query.
    const probe = await connectThrough(proxy);
    const seen = await probe.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'SELECT 2 AS marker%'",
    );
    expect(seen.rows[0]).toEqual({ n: 0 });
  });

  it("stalls a connection (client times out while the socket stays open) and releases it on command", async () => {
    const proxy = await startProxy();
    const stalled = await connectThrough(proxy, { query_timeout: 300 });
    void proxy.arm({ direction: "toClient", afterBytes: 10, action: "stall" });
    await expect(stalled.query(bigQuery)).rejects.toThrow(/timeout/i);
    expect(proxy.cuts).toBe(0);

    const held = await connectThrough(proxy);
    proxy.stallAll();
    let answered = false;
    const pending = held.query("SELECT 42 AS answer").then((r) => {
      answered = true;
      return r.rows[0];
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(answered).toBe(false);
    proxy.release();
    expect(await pending).toEqual({ answer: 42 });
  });

  it("cuts every open connection on command", async () => {
    const proxy = await startProxy();
    const a = await connectThrough(proxy);
    const b = await connectThrough(proxy);
    expect(proxy.cutAll()).toBe(2);
    await expect(a.query("SELECT 1")).rejects.toThrow();
    await expect(b.query("SELECT 1")).rejects.toThrow();
  });

  it("closes itself, with its connections, when its lifetime ends", async () => {
    const proxy = await startProxy(500);
    const client = await connectThrough(proxy);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(proxy.openConnections).toBe(0);
    await expect(client.query("SELECT 1")).rejects.toThrow();
    await expect(connectThrough(proxy)).rejects.toThrow();
  });
});
