import type { ConnectionEnvironment } from "../db/target.js";
import { type DatabaseLocation, describeLocation, isLoopbackHost, isPrivateHost } from "../db/url.js";
import { UsageError } from "../errors.js";
import type { SnapshotManifest } from "../snapshot/manifest.js";

/**
 * Refuses targets that look like production: the snapshot's own source (same host and
 * database), or any host that is neither loopback nor on a private network, unless the user
 * explicitly allows a remote target. Judges the connection the driver will really make
 * (`?host=` / `?port=`, PGHOST / PGPORT…: see resolveConnectionTarget).
 */
export function assertSafeTarget(
  url: string,
  manifest: SnapshotManifest,
  allowRemote: boolean,
  env: ConnectionEnvironment = {},
): void {
  const target = describeLocation(url, env);
  const source = manifest.source;
  // localhost, 127.0.0.1 and ::1 are one machine: compare them as equal.
  const sameMachine =
    target.host.toLowerCase() === source.host.toLowerCase() ||
    (isLoopbackHost(target.host) && isLoopbackHost(source.host));
  const sameHost = sameMachine && target.port === source.port;
  if (sameHost && target.database === source.database) {
    throw new UsageError(`Refusing to import into ${where(target)}: it is the snapshot's source database`, {
      code: "E_TARGET_REFUSED",
      hint: "Import into your local development database (--to-env / --to), never into the database the snapshot came from.",
      details: { target: where(target) },
    });
  }
  assertDevelopmentHost(url, allowRemote, env, "import into");
}

/**
 * Every command that writes (import, --resume, --abort, prepare) refuses a host that is neither
 * this machine nor on a private network unless --allow-remote-target says it is a dev database.
 */
export function assertDevelopmentHost(
  url: string,
  allowRemote: boolean,
  env: ConnectionEnvironment = {},
  action = "write to",
): void {
  const target = describeLocation(url, env);
  if (allowRemote || isLoopbackHost(target.host) || isPrivateHost(target.host)) return;
  throw new UsageError(`Refusing to ${action} ${where(target)}: not a local or private-network host`, {
    code: "E_TARGET_REFUSED",
    hint: "booksnap writes only to development databases. Pass --allow-remote-target if this really is one.",
    details: { target: where(target) },
  });
}

function where(target: DatabaseLocation): string {
  return `${target.host}:${target.port}/${target.database}`;
}
