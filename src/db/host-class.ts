import { isIPv4, isIPv6 } from "node:net";

/**
 * Where a database host is, for the import target guard:
 * - `loopback`: this machine (127.0.0.0/8, ::1, localhost, a Unix socket directory);
 * - `private`: a developer's network (RFC 1918, fc00::/7 unique-local, *.local, *.localhost,
 *   host.docker.internal);
 * - `remote`: anything else, including 0.0.0.0 / :: (no real address), link-local and CGNAT
 *   ranges, and host names that merely start like an address ("127.0.0.1.example.com").
 */
export type HostClass = "loopback" | "private" | "remote";

/** Classifies the host node-postgres will connect to (after the URL and PG* variables are resolved). */
export function classifyHost(rawHost: string): HostClass {
  // node-postgres treats a host starting with "/" as a Unix socket directory: always this machine.
  if (rawHost.startsWith("/")) return "loopback";
  const host = rawHost.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (isIPv4(host)) return classifyIPv4(host.split(".").map(Number));
  const v6 = parseIPv6(host);
  if (v6) return classifyIPv6(v6);
  // A name: one trailing dot (the DNS root) does not change it.
  const name = host.endsWith(".") ? host.slice(0, -1) : host;
  if (name === "localhost") return "loopback";
  if (name.endsWith(".local") || name.endsWith(".localhost") || name === "host.docker.internal") {
    return "private";
  }
  return "remote";
}

function classifyIPv4([a = -1, b = -1]: number[]): HostClass {
  if (a === 127) return "loopback";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "private";
  return "remote";
}

function classifyIPv6(groups: number[]): HostClass {
  const [g0 = 0, , , , , g5 = 0, g6 = 0, g7 = 0] = groups;
  const zeroPrefix = groups.slice(0, 5).every((g) => g === 0);
  if (zeroPrefix && g5 === 0 && g6 === 0 && g7 === 1) return "loopback";
  // IPv4-mapped (::ffff:a.b.c.d): the connection goes to that IPv4 address.
  if (zeroPrefix && g5 === 0xffff) return classifyIPv4([g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff]);
  if ((g0 & 0xfe00) === 0xfc00) return "private";
  return "remote";
}

/** The eight 16-bit groups of an IPv6 literal (zone id dropped), or undefined if it is not one. */
function parseIPv6(text: string): number[] | undefined {
  const address = text.replace(/%.*$/, "");
  if (!isIPv6(address)) return undefined;
  let hex = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address)?.[1];
  if (dotted) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted.split(".").map(Number);
    hex = `${address.slice(0, -dotted.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = hex.split("::");
  const parts = (s: string) => (s ? s.split(":").map((g) => Number.parseInt(g, 16)) : []);
  const front = parts(head);
  const back = tail === undefined ? [] : parts(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}
