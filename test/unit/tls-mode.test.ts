import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientConfig, resolveTlsMode } from "../../src/db/connect.js";
import { loadTlsCa } from "../../src/db/tls-ca.js";

describe("resolveTlsMode", () => {
  it("auto: no TLS on loopback, required for any other host", () => {
    for (const host of ["127.0.0.1", "localhost", "[::1]"])
      expect(resolveTlsMode(`postgresql://u@${host}/db`, "auto")).toBe("disable");
    for (const host of ["db.internal", "10.0.0.5", "bastion.example.com"])
      expect(resolveTlsMode(`postgresql://u@${host}/db`, "auto")).toBe("require");
  });

  it("auto honours sslmode in the URL, but sslmode=disable is no waiver for a remote host", () => {
    const mode = (host: string, sslmode: string) =>
      resolveTlsMode(`postgresql://u@${host}/db?sslmode=${sslmode}`, "auto");
    expect(mode("127.0.0.1", "require")).toBe("require");
    expect(mode("127.0.0.1", "prefer")).toBe("require");
    expect(mode("127.0.0.1", "verify-full")).toBe("verify-full");
    expect(mode("db.internal", "verify-ca")).toBe("verify-full");
    expect(mode("127.0.0.1", "disable")).toBe("disable");
    expect(mode("db.internal", "disable")).toBe("require");
  });

  it("an explicit mode wins over the host and the URL", () => {
    expect(resolveTlsMode("postgresql://u@db.internal/db", "disable")).toBe("disable");
    expect(resolveTlsMode("postgresql://u@127.0.0.1/db?sslmode=disable", "verify-full")).toBe("verify-full");
  });
});

describe("--tls-ca", () => {
  let dir: string;
  const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  const remote = "postgresql://u@db.internal/db";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "booksnap-tls-ca-"));
    await writeFile(join(dir, "ca.pem"), pem);
    await writeFile(join(dir, "key.pem"), "-----BEGIN PRIVATE KEY-----\n");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("is read (relative to cwd) for verify-full and reaches node-postgres as the trusted CA", () => {
    const tlsCa = loadTlsCa({ flag: "ca.pem", env: undefined, url: remote, tls: "verify-full", cwd: dir });
    expect(tlsCa).toBe(pem);
    const config = clientConfig({
      url: remote,
      applicationName: "t",
      readOnly: true,
      tls: "verify-full",
      ...(tlsCa ? { tlsCa } : {}),
      connectTimeoutMs: 1,
      statementTimeoutMs: 0,
      lockTimeoutMs: 0,
    });
    expect(config.ssl).toEqual({ rejectUnauthorized: true, ca: pem });
  });

  it("comes from PGSSLROOTCERT when verifying, and is not loaded when not", () => {
    const env = join(dir, "ca.pem");
    expect(loadTlsCa({ flag: undefined, env, url: remote, tls: "verify-full", cwd: dir })).toBe(pem);
    expect(loadTlsCa({ flag: undefined, env, url: remote, tls: "auto", cwd: dir })).toBeUndefined();
  });

  it("is refused (E_TLS_CA) when the certificate is not verified, unreadable or not a certificate", () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return "no error";
    };
    expect(
      code(() => loadTlsCa({ flag: "ca.pem", env: undefined, url: remote, tls: "require", cwd: dir })),
    ).toBe("E_TLS_CA");
    expect(
      code(() => loadTlsCa({ flag: "ca.pem", env: undefined, url: remote, tls: "auto", cwd: dir })),
    ).toBe("E_TLS_CA");
    expect(
      code(() =>
        loadTlsCa({ flag: "missing.pem", env: undefined, url: remote, tls: "verify-full", cwd: dir }),
      ),
    ).toBe("E_TLS_CA");
    expect(
      code(() => loadTlsCa({ flag: "key.pem", env: undefined, url: remote, tls: "verify-full", cwd: dir })),
    ).toBe("E_TLS_CA");
  });
});
