import type { OwnersConfig } from "./config/project-config-types.js";
import { UsageError } from "./errors.js";
import { type SnapshotSummary, summariseManifest } from "./inspect.js";
import { carriedColumns } from "./schema/description.js";
import { FORMAT1_DESCRIPTION } from "./snapshot/format1.js";
import type { SnapshotManifest } from "./snapshot/manifest.js";
import { snapshotFiles } from "./snapshot/paths.js";
import { type VerifiedRow, type VerifyDeps, verifySnapshot } from "./verify/verify.js";

/** One record of the owners table, as the snapshot holds it (pseudonymised unless exported with --no-redact). */
export interface SnapshotOwner {
  /** The owners table's id column (a number for integer ids, else the value as text). */
  id: number | string;
  /** The email column, or null when the configuration names none (or the row's is NULL). */
  email: string | null;
}

/** `booksnap inspect --owners`: the manifest summary plus the owners the verified data file holds. */
export interface SnapshotOwnersSummary extends SnapshotSummary {
  owners: SnapshotOwner[];
}

/** Where the owners' id and email are in a row of the owners table. */
interface OwnerColumns {
  id: number;
  email: number | null;
}

/**
 * Lists the owners table's records of a local snapshot. The data file is read the way verify reads
 * it (checksums, every line, counts and digests checked), so a damaged snapshot fails as verify
 * does (exit 4) and the list is returned only for a snapshot that verified. Only the owners' ids
 * and emails are kept: memory grows with the number of owners, not with the snapshot.
 */
export async function inspectSnapshotOwners(
  path: string,
  owners: OwnersConfig | null,
  deps: Omit<VerifyDeps, "observer"> = {},
): Promise<SnapshotOwnersSummary> {
  if (!owners) {
    throw new UsageError("inspect --owners needs an owners table, and the project configuration names none", {
      code: "E_OWNERS_TABLE_MISSING",
      hint: "Name the owners table in booksnap.config.json (owners.table, idColumn, emailColumn), or pass that file with --config.",
    });
  }
  const found: SnapshotOwner[] = [];
  let positions: OwnerColumns | undefined;
  const result = await verifySnapshot(path, {
    ...deps,
    observer: {
      manifest: (manifest) => {
        positions = ownerColumns(manifest, owners);
      },
      row: (row: VerifiedRow) => {
        if (row.table !== owners.table || !positions) return;
        found.push(ownerOf(row.row, positions));
      },
    },
  });
  return {
    ...summariseManifest(result.manifest, snapshotFiles(result.paths), true),
    owners: found,
  };
}

/** The positions of the configured id and email columns in the snapshot's owners table (refused when absent). */
function ownerColumns(manifest: SnapshotManifest, owners: OwnersConfig): OwnerColumns {
  const description = manifest.formatVersion === 1 ? FORMAT1_DESCRIPTION : manifest.schema.description;
  const table = description.tables.find((t) => t.name === owners.table);
  const hint =
    "Pass the project configuration the snapshot was exported with (--config), or export again with the owners table included.";
  if (!table) {
    throw new UsageError(`The snapshot has no owners table ${owners.table}`, {
      code: "E_OWNERS_TABLE_MISSING",
      hint,
      details: { table: owners.table },
    });
  }
  const columns = carriedColumns(table).map((c) => c.name);
  const position = (name: string): number => {
    const index = columns.indexOf(name);
    if (index < 0) {
      throw new UsageError(`The snapshot's owners table ${owners.table} has no column ${name}`, {
        code: "E_OWNERS_TABLE_MISSING",
        hint,
        details: { table: owners.table, column: name },
      });
    }
    return index;
  };
  return {
    id: position(owners.idColumn),
    email: owners.emailColumn === null ? null : position(owners.emailColumn),
  };
}

function ownerOf(row: readonly unknown[], positions: OwnerColumns): SnapshotOwner {
  const id = row[positions.id];
  const email = positions.email === null ? null : row[positions.email];
  return {
    id: typeof id === "number" ? id : String(id),
    email: email === null || email === undefined ? null : String(email),
  };
}
