import { describe, expect, it } from "vitest";
import { clientConfig } from "../../src/db/connect.js";
import { classifyHost, type HostClass } from "../../src/db/host-class.js";
import { resolveConnectionTarget } from "../../src/db/target.js";

/** Every row: the host node-postgres connects to → how the import target guard sees it. */
const HOSTS: Array<[string, HostClass]> = [
  // Loopback: 127.0.0.0/8, ::1, localhost, Unix sockets.
  ["127.0.0.1", "loopback"],
  ["127.255.255.254", "loopback"],
  ["localhost", "loopback"],
  ["LOCALHOST", "loopback"],
  ["localhost.", "loopback"],
  ["::1", "loopback"],
  ["[::1]", "loopback"],
  ["0:0:0:0:0:0:0:1", "loopback"],
  ["::ffff:127.0.0.1", "loopback"],
  ["::ffff:7f00:1", "loopback"],
  ["/var/run/postgresql", "loopback"],
  ["/tmp", "loopback"],
  // RFC 1918 with both edges of each range, unique-local IPv6, dev names.
  ["10.0.0.0", "private"],
  ["10.255.255.255", "private"],
  ["172.16.0.0", "private"],
  ["172.31.255.255", "private"],
  ["192.168.0.1", "private"],
  ["192.168.255.255", "private"],
  ["::ffff:10.1.2.3", "private"],
  ["::ffff:192.168.1.1", "private"],
  ["fc00::1", "private"],
  ["fd12:3456:789a::1", "private"],
  ["[FD00::5]", "private"],
  ["db.local", "private"],
  ["DB.LOCAL.", "private"],
  ["pg.localhost", "private"],
  ["host.docker.internal", "private"],
  // Just outside the private ranges, and everything else.
  ["172.15.255.255", "remote"],
  ["172.32.0.0", "remote"],
  ["172.0.0.1", "remote"],
  ["11.0.0.1", "remote"],
  ["9.255.255.255", "remote"],
  ["192.167.1.1", "remote"],
  ["192.169.1.1", "remote"],
  ["128.0.0.1", "remote"],
  ["203.0.113.10", "remote"],
  ["::ffff:203.0.113.10", "remote"],
  ["fe00::1", "remote"],
  ["fe80::1", "remote"],
  ["fe80::1%eth0", "remote"],
  ["169.254.169.254", "remote"],
  ["100.64.0.1", "remote"],
  ["2001:db8::1", "remote"],
  // No real address: connects to "this host" in surprising ways, so never accepted.
  ["0.0.0.0", "remote"],
  ["::", "remote"],
  ["[::]", "remote"],
  // Names that only look like an address or like localhost.
  ["127.0.0.1.nip.io", "remote"],
  ["10.example.com", "remote"],
  ["192.168.1.1.example.com", "remote"],
  ["localhost.example.com", "remote"],
  ["notlocalhost", "remote"],
  ["db.local.example.com", "remote"],
  ["127.1", "remote"],
  ["2130706433", "remote"],
  ["prod-db.example.com", "remote"],
  ["db", "remote"],
  ["", "remote"],
];

describe("classifyHost", () => {
  it.each(HOSTS)("%s → %s", (host, expected) => {
    expect(classifyHost(host)).toBe(expected);
  });
});

describe("resolveConnectionTarget: the connection node-postgres really makes", () => {
  const resolve = resolveConnectionTarget;

  it("takes ?host= and ?port= over the URL's authority", () => {
    expect(resolve("postgresql://u@127.0.0.1:6543/prod?port=5432")).toMatchObject({
      host: "127.0.0.1",
      port: 5432,
      database: "prod",
    });
    expect(resolve("postgresql://u@127.0.0.1/dev?host=0.0.0.0")).toMatchObject({
      host: "0.0.0.0",
      port: 5432,
    });
    expect(resolve("postgresql://u@localhost/dev?host=/var/run/postgresql").host).toBe("/var/run/postgresql");
  });

  it("fills what the URL leaves out from PG* variables, and only that", () => {
    const env = {
      PGHOST: "0.0.0.0",
      PGPORT: "6000",
      PGDATABASE: "envdb",
      PGUSER: "envuser",
      PGPASSWORD: "x",
    };
    expect(resolve("postgresql:///", env)).toEqual({
      host: "0.0.0.0",
      port: 6000,
      database: "envdb",
      user: "envuser",
      password: "x",
    });
    expect(resolve("postgresql://me:pw@db.local:5433/books", env)).toEqual({
      host: "db.local",
      port: 5433,
      database: "books",
      user: "me",
      password: "pw",
    });
    // Without PG* variables: the driver's defaults; the database defaults to the user.
    expect(resolve("postgresql:///?user=me", {})).toMatchObject({
      host: "localhost",
      port: 5432,
      database: "me",
    });
  });

  it("decodes the database name as the driver does (decodeURI: %2F stays %2F)", () => {
    expect(resolve("postgresql://u@localhost/a%2Fb").database).toBe("a%2Fb");
    expect(resolve("postgresql://u@localhost/caf%C3%A9").database).toBe("café");
  });

  it("refuses a port that is not a number from 1 to 65535 (exit 2, E_BAD_URL)", () => {
    for (const url of [
      "postgresql://u@h/db?port=5432abc",
      "postgresql://u@h/db?port=0",
      "postgresql://u@h/db?port=70000",
    ])
      expect(() => resolve(url)).toThrow(expect.objectContaining({ code: "E_BAD_URL" }));
    expect(() => resolve("postgresql://u@h/db", { PGPORT: "x" })).toThrow(
      expect.objectContaining({ code: "E_BAD_URL" }),
    );
  });

  it("is what the driver is given: explicit fields, no connection string, no URL session parameters", () => {
    const config = clientConfig({
      url: "postgresql://u:pw@127.0.0.1:6543/prod?port=5432&options=-c%20default_transaction_read_only%3Doff&connectionTimeoutMillis=0",
      env: { PGHOST: "ignored" },
      applicationName: "t",
      readOnly: true,
      tls: "auto",
      connectTimeoutMs: 1_000,
      statementTimeoutMs: 0,
      lockTimeoutMs: 0,
    });
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 5432,
      database: "prod",
      user: "u",
      password: "pw",
    });
    expect(config.connectionString).toBeUndefined();
    expect(config.options).toBe("-c default_transaction_read_only=on");
    expect(config.connectionTimeoutMillis).toBe(1_000);
  });

  it("TLS auto follows the effective host, not the URL's authority", () => {
    const settings = (url: string, env = {}) =>
      clientConfig({
        url,
        env,
        applicationName: "t",
        readOnly: true,
        tls: "auto",
        connectTimeoutMs: 1,
        statementTimeoutMs: 0,
        lockTimeoutMs: 0,
      }).tls;
    expect(settings("postgresql://u@203.0.113.10/db?host=127.0.0.1")).toBe("disable");
    expect(settings("postgresql://u@127.0.0.1/db?host=203.0.113.10")).toBe("require");
    expect(settings("postgresql:///db", { PGHOST: "prod.example.com" })).toBe("require");
  });
});
