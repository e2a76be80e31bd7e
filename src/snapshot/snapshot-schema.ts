import { SnapshotIntegrityError } from "../errors.js";
import type { SchemaDescription } from "../schema/description.js";
import { format1Description } from "./format1-layout.js";
import type { SnapshotManifest } from "./manifest.js";

/**
 * The schema a snapshot's rows were written under: the one the compatibility report compares
 * with a target. Format 2 records it (`schema.description`). Format 1 recorded only the field
 * list of its one frozen layout (`schema.models`): keys, defaults and constraints come from the
 * frozen layout, types and nullability from the list. A list with other tables or columns than
 * the layout's (no booksnap wrote one) is refused rather than guessed.
 */
export function snapshotSchemaOf(manifest: SnapshotManifest): SchemaDescription {
  if (manifest.formatVersion === 2) return manifest.schema.description;
  const description = format1Description(manifest.schema.models);
  if (!description) {
    throw new SnapshotIntegrityError(
      "E_FORMAT_VERSION",
      "This format-1 snapshot records a field layout no released booksnap wrote; its schema is unknown",
      { hint: "Re-export the snapshot with this booksnap (format 2 records its schema)." },
    );
  }
  return description;
}
