import { describe, expect, it } from "vitest";
import { isLoopbackHost, isPrivateHost } from "../../src/db/url.js";
import { assertDevelopmentHost, assertSafeTarget } from "../../src/import/target-guard.js";
import type { SnapshotManifest } from "../../src/snapshot/manifest.js";

/**
 * The target guard's rules one by one, written against mutants that survived the end-to-end
 * target tests (docs/security.md, "Mutation testing"): the same-source rule compares machine,
 * port and database together, and a private-network host passes without --allow-remote-target.
 */
function snapshotFrom(host: string, port: number, database: string): SnapshotManifest {
  const source = { host, port, database, tls: "disable", isolation: "repeatable read, read only" };
  return { source } as unknown as SnapshotManifest;
}

const refused = (target: string) =>
  expect.objectContaining({
    code: "E_TARGET_REFUSED",
    details: { target },
  });

describe("assertSafeTarget: never the snapshot's own source", () => {
  it("refuses the source itself, naming it, with the hint", () => {
    expect(() =>
      assertSafeTarget("postgresql://u@127.0.0.1:5432/app", snapshotFrom("127.0.0.1", 5432, "app"), false),
    ).toThrow(
      expect.objectContaining({
        code: "E_TARGET_REFUSED",
        message: "Refusing to import into 127.0.0.1:5432/app: it is the snapshot's source database",
        hint: "Import into your local development database (--to-env / --to), never into the database the snapshot came from.",
        details: { target: "127.0.0.1:5432/app" },
      }),
    );
  });

  it("treats localhost, 127.0.0.1 and ::1 as one machine", () => {
    expect(() =>
      assertSafeTarget("postgresql://u@127.0.0.1:5432/app", snapshotFrom("localhost", 5432, "app"), true),
    ).toThrow(refused("127.0.0.1:5432/app"));
    expect(() =>
      assertSafeTarget("postgresql://u@localhost:5432/app", snapshotFrom("::1", 5432, "app"), true),
    ).toThrow(refused("localhost:5432/app"));
  });

  it("accepts the source's server under another database, another port, or another host", () => {
    const source = snapshotFrom("127.0.0.1", 5432, "app");
    expect(() => assertSafeTarget("postgresql://u@127.0.0.1:5432/app_dev", source, false)).not.toThrow();
    expect(() => assertSafeTarget("postgresql://u@127.0.0.1:5433/app", source, false)).not.toThrow();
    expect(() => assertSafeTarget("postgresql://u@10.0.0.5:5432/app", source, false)).not.toThrow();
    // Two different private hosts are two machines, even with the same port and database.
    expect(() =>
      assertSafeTarget("postgresql://u@10.0.0.5:5432/app", snapshotFrom("10.0.0.6", 5432, "app"), false),
    ).not.toThrow();
  });

  it("still refuses a remote target that is not the source, as an import", () => {
    expect(() =>
      assertSafeTarget("postgresql://u@203.0.113.10:5432/dev", snapshotFrom("127.0.0.1", 5432, "app"), false),
    ).toThrow(
      expect.objectContaining({
        code: "E_TARGET_REFUSED",
        message: "Refusing to import into 203.0.113.10:5432/dev: not a local or private-network host",
      }),
    );
  });
});

describe("assertDevelopmentHost: this machine or a private network, unless allowed", () => {
  it("accepts loopback and private-network hosts without --allow-remote-target", () => {
    for (const host of [
      "127.0.0.1",
      "localhost",
      "10.1.2.3",
      "172.20.0.2",
      "192.168.1.10",
      "db.local",
      "[fd00::2]",
    ])
      expect(() => assertDevelopmentHost(`postgresql://u@${host}:5432/dev`, false)).not.toThrow();
  });

  it("refuses a remote host, saying what it refused to do, with the hint", () => {
    expect(() => assertDevelopmentHost("postgresql://u:pw@prod.example.com:5432/books", false)).toThrow(
      expect.objectContaining({
        code: "E_TARGET_REFUSED",
        message: "Refusing to write to prod.example.com:5432/books: not a local or private-network host",
        hint: "booksnap writes only to development databases. Pass --allow-remote-target if this really is one.",
        details: { target: "prod.example.com:5432/books" },
      }),
    );
  });

  it("accepts a remote host with --allow-remote-target", () => {
    expect(() => assertDevelopmentHost("postgresql://u@prod.example.com:5432/books", true)).not.toThrow();
  });
});

describe("isLoopbackHost / isPrivateHost", () => {
  it("answer from the host class", () => {
    expect([isLoopbackHost("::1"), isPrivateHost("::1")]).toEqual([true, false]);
    expect([isLoopbackHost("192.168.0.1"), isPrivateHost("192.168.0.1")]).toEqual([false, true]);
    expect([isLoopbackHost("example.com"), isPrivateHost("example.com")]).toEqual([false, false]);
  });
});
