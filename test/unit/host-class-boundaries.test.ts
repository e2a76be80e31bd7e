import { describe, expect, it } from "vitest";
import { classifyHost, type HostClass } from "../../src/db/host-class.js";
import { resolveConnectionTarget } from "../../src/db/target.js";

/**
 * Written against mutants that survived connection-target.test.ts (docs/security.md, "Mutation
 * testing"): each row separates the real rule from a near miss of it.
 */
const BOUNDARIES: Array<[string, HostClass, string]> = [
  // 172.16/12 and 192.168/16 need both octets: the second alone is not private.
  ["11.20.0.1", "remote", "second octet in 16..31, first not 172"],
  ["173.16.0.1", "remote", "second octet 16, first 173"],
  ["193.168.1.1", "remote", "second octet 168, first 193"],
  ["10.168.0.1", "private", "10/8 whatever the second octet"],
  // ::1 is exactly 0:0:0:0:0:0:0:1.
  ["0:0:0:0:0:5:0:1", "remote", "group 5 set"],
  ["::5:1", "remote", "group 6 set"],
  ["0::1", "loopback", "a written leading group before ::"],
  ["0:0::1", "loopback", "two written groups before ::"],
  // IPv4-mapped is ::ffff:a.b.c.d exactly; other embeddings are not that IPv4 address.
  ["1::ffff:7f00:1", "remote", "a nonzero prefix before ffff"],
  ["::127.0.0.1", "remote", "IPv4-compatible (deprecated), not mapped"],
  ["::5:7f00:1", "remote", "group 5 not ffff"],
  ["::ffff:172.16.100.200", "private", "multi-digit third and fourth octets"],
  ["::ffff:192.168.1.254", "private", "multi-digit fourth octet"],
  // A zone id does not change the address.
  ["fd00::1%eth0", "private", "zone id on a unique-local address"],
  ["::1%lo", "loopback", "zone id on ::1"],
  // Only a whole [..] is the bracketed IPv6 form.
  ["[fd00::1]1", "remote", "text after the brackets"],
  ["f[d00::1]", "remote", "text before the brackets"],
];

describe("classifyHost near the edges of each rule", () => {
  it.each(BOUNDARIES)("%s → %s (%s)", (host, expected) => {
    expect(classifyHost(host)).toBe(expected);
  });
});

describe("resolveConnectionTarget edges", () => {
  const resolve = resolveConnectionTarget;

  it("accepts ports 1 and 65535, refuses 0 and 65536 naming the port", () => {
    expect(resolve("postgresql://u@h/db", { PGPORT: "1" }).port).toBe(1);
    expect(resolve("postgresql://u@h/db", { PGPORT: "65535" }).port).toBe(65_535);
    for (const port of ["0", "65536"]) {
      expect(() => resolve("postgresql://u:secret@h/db", { PGPORT: port })).toThrow(
        expect.objectContaining({
          code: "E_BAD_URL",
          message: `Not a usable connection URL (the port '${port}' is not a number from 1 to 65535): postgresql://u:***@h/db`,
          hint: "Use postgresql://user@host:5432/database",
        }),
      );
    }
  });

  it("refuses a host with a NUL byte", () => {
    expect(() => resolve("postgresql:///db?user=u", { PGHOST: "db\0.example.com" })).toThrow(
      expect.objectContaining({
        code: "E_BAD_URL",
        message: expect.stringContaining("the host contains a NUL byte"),
      }),
    );
  });

  it("keeps the URL's sslmode for the TLS decision, and adds no key for what is absent", () => {
    const withMode = resolve("postgresql://u@h/db?sslmode=verify-full");
    expect(withMode).toEqual({ host: "h", port: 5432, database: "db", user: "u", sslmode: "verify-full" });
    const plain = resolve("postgresql://u@h/db");
    expect(Object.keys(plain).sort()).toEqual(["database", "host", "port", "user"]);
  });
});
