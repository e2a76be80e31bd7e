import { describeLocation, isLoopbackHost, isPrivateHost } from "../db/url.js";
import { UsageError } from "../errors.js";
import type { SnapshotManifest } from "../snapshot/manifest.js";

/**
 * Refuses targets that look like production: the snapshot's own source (same host and
 * database), or any host that is neither loopback nor on a private network, unless the user
 * explicitly allows a remote target.
 */
export function assertSafeTarget(url: string, manifest: SnapshotManifest, allowRemote: boolean): void {
  const target = describeLocation(url);
  const source = manifest.source;
  // localhost, 127.0.0.1 and ::1 are one machine: compare them as equal.
  const sameMachine =
    target.host.toLowerCase() === source.host.toLowerCase() ||
    (isLoopbackHost(target.host) && isLoopbackHost(source.host));
  const sameHost = sameMachine && target.port === source.port;
  if (sameHost && target.database === source.database) {
    throw new UsageError(
      `Refusing to import into ${target.host}:${target.port}/${target.database}: it is the snapshot's source database`,
      {
        code: "E_TARGET_REFUSED",
        hint: "Import into your local development database (--to-env / --to), never into the database the snapshot came from.",
        details: { target: `${target.host}:${target.port}/${target.database}` },
      },
    );
  }
  if (!allowRemote && !isLoopbackHost(target.host) && !isPrivateHost(target.host)) {
    throw new UsageError(
      `Refusing to import into ${target.host}:${target.port}/${target.database}: not a local or private-network host`,
      {
        code: "E_TARGET_REFUSED",
        hint: "Imports replace data; they are meant for development databases. Pass --allow-remote-target if this really is one.",
        details: { target: `${target.host}:${target.port}/${target.database}` },
      },
    );
  }
}
