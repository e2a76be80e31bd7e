import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, disconnect } from "../../src/db/connect.js";
import { runBooksnap } from "../helpers/cli.js";
import { startTlsServer, type TlsServer } from "../helpers/tls.js";

/** A dedicated PostgreSQL with ssl=on and a certificate from a throw-away CA (not the shared test server). */
describe("export over TLS", () => {
  let server: TlsServer;
  let dir: string;
  let runs = 0;
  const exportWith = (flags: string[], env: Record<string, string | undefined> = {}) =>
    runBooksnap(["export", "--from-env", "SRC", "--name", `tls-${++runs}`, ...flags], {
      cwd: dir,
      env: { SRC: server.url, PGSSLROOTCERT: undefined, ...env },
    });
  const recordedTls = async (name: string) =>
    JSON.parse(await readFile(join(dir, "snapshots", `${name}.manifest.json`), "utf8")).source.tls;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "booksnap-tls-out-"));
    server = await startTlsServer();
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("connects encrypted with require and in plain text with disable (the mode is what is used)", async () => {
    const sslOf = async (tls: "require" | "disable") => {
      const client = await connect({
        url: server.url,
        applicationName: "booksnap-tls-test",
        readOnly: true,
        tls,
        connectTimeoutMs: 5_000,
        statementTimeoutMs: 0,
        lockTimeoutMs: 0,
      });
      try {
        const { rows } = await client.query<{ ssl: boolean }>(
          "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        );
        return rows[0]?.ssl;
      } finally {
        await disconnect(client);
      }
    };
    expect(await sslOf("require")).toBe(true);
    expect(await sslOf("disable")).toBe(false);
  });

  it("--tls require succeeds and the manifest records it", async () => {
    const run = await exportWith(["--tls", "require"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(await recordedTls(`tls-${runs}`)).toBe("require");
  });

  it("--tls verify-full against a CA this machine does not trust → exit 3 E_TLS pointing at --tls-ca", async () => {
    const run = await exportWith(["--tls", "verify-full"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("[E_TLS]");
    expect(run.stderr).toMatch(/certificate/i);
    expect(run.stderr).toContain("--tls-ca");
  });

  it("--tls verify-full with --tls-ca of a different CA → exit 3 E_TLS", async () => {
    const run = await exportWith(["--tls", "verify-full", "--tls-ca", server.certs.otherCaPath]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("[E_TLS]");
  });

  it("--tls verify-full with --tls-ca of the signing CA succeeds and records verify-full", async () => {
    const run = await exportWith(["--tls", "verify-full", "--tls-ca", server.certs.caPath]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(await recordedTls(`tls-${runs}`)).toBe("verify-full");
  });

  describe("against a server without TLS", () => {
    beforeAll(() => server.setSsl(false));

    it("--tls require → exit 3 E_TLS saying the server does not accept TLS", async () => {
      const run = await exportWith(["--tls", "require"]);
      expect(run.code).toBe(3);
      expect(run.stderr).toContain("[E_TLS]");
      expect(run.stderr).toContain("does not accept TLS");
    });

    it("auto on loopback needs no TLS and records disable", async () => {
      const run = await exportWith([]);
      expect(run.code).toBe(0);
      expect(await recordedTls(`tls-${runs}`)).toBe("disable");
    });
  });
});
