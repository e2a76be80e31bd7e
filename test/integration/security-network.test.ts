import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPreparedTarget } from "../fault/targets.js";
import { runBooksnap } from "../helpers/cli.js";
import type { TestDatabase } from "../helpers/db.js";
import { useLoadedSource } from "../helpers/export.js";

/**
 * The tool talks to the database it is given and to the disk, nothing else: no telemetry, no
 * update checks, no engine downloads. A `--require` probe records every socket connection and DNS
 * lookup of the CLI process.
 */
const PROBE = join(dirname(fileURLToPath(import.meta.url)), "..", "helpers", "net-probe.cjs");

interface Seen {
  connections: Array<{ host?: string; port?: number; path?: string }>;
  lookups: string[];
}

async function runProbed(args: string[], cwd: string, env: Record<string, string> = {}) {
  const out = join(cwd, `net-${Date.now()}-${Math.random().toString(16).slice(2)}.json`);
  const run = await runBooksnap(args, {
    cwd,
    nodeArgs: ["--require", PROBE],
    env: { ...env, NET_PROBE_OUT: out },
  });
  const seen = JSON.parse(await readFile(out, "utf8")) as Seen;
  return { run, seen };
}

const endpoint = (url: string) => {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 5432) };
};

describe("network: only the database", () => {
  const source = useLoadedSource({ users: 2, books: 20 }, "booksnap-net-");
  let target: TestDatabase;
  beforeAll(async () => {
    target = await createPreparedTarget();
  });
  afterAll(async () => {
    await target?.drop();
  });

  it("export connects only to the source, import only to the target, with no DNS lookups for IP hosts", async () => {
    const exported = await runProbed(
      ["export", "--from", source.db.url, "--name", "net", "--json"],
      source.work,
    );
    expect(exported.run.code, exported.run.stderr).toBe(0);
    expect(exported.seen.connections.length).toBeGreaterThan(0);
    for (const c of exported.seen.connections) expect(c).toEqual(endpoint(source.db.url));

    const imported = await runProbed(
      ["import", join(source.work, "snapshots", "net"), "--to", target.url, "--yes", "--json"],
      source.work,
    );
    expect(imported.run.code, imported.run.stderr).toBe(0);
    expect(imported.seen.connections.length).toBeGreaterThan(0);
    for (const c of imported.seen.connections) expect(c).toEqual(endpoint(target.url));
    for (const lookup of [...exported.seen.lookups, ...imported.seen.lookups]) {
      expect([endpoint(source.db.url).host, endpoint(target.url).host]).toContain(lookup);
    }
  });

  it("verify, inspect and list work offline: no connection, no lookup", async () => {
    const snapshot = join(source.work, "snapshots", "net");
    for (const args of [
      ["verify", snapshot],
      ["inspect", snapshot],
      ["list", join(source.work, "snapshots")],
    ]) {
      const { run, seen } = await runProbed(args, source.work);
      expect(run.code, `${args[0]}: ${run.stderr}`).toBe(0);
      expect(seen).toEqual({ connections: [], lookups: [] });
    }
  });

  it("an import refused by the target guard never touches the network", async () => {
    const url = new URL(target.url);
    url.hostname = "prod-db.example.com";
    const { run, seen } = await runProbed(
      ["import", join(source.work, "snapshots", "net"), "--to", url.toString(), "--yes"],
      source.work,
    );
    expect(run.code).toBe(2);
    expect(seen).toEqual({ connections: [], lookups: [] });
  });
});
