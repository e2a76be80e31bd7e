import { SnapshotIntegrityError } from "../errors.js";
import type { SchemaDescription } from "../schema/description.js";
import { stableStringify } from "./canonical.js";
import { FORMAT1_SCHEMA, format1FieldList } from "./format1-layout.js";
import type { SnapshotManifest } from "./manifest.js";

/**
 * The schema a snapshot's rows were written under: the one the compatibility report compares
 * with a target. Format 2 records it (`schema.description`). Format 1 recorded only the field
 * list of its one frozen layout (`schema.models`); a format-1 manifest must record exactly that
 * list (every booksnap that wrote format 1 did), anything else is refused rather than guessed.
 */
export function snapshotSchemaOf(manifest: SnapshotManifest): SchemaDescription {
  if (manifest.formatVersion === 2) return manifest.schema.description;
  if (stableStringify(manifest.schema.models) !== stableStringify(format1FieldList())) {
    throw new SnapshotIntegrityError(
      "E_FORMAT_VERSION",
      "This format-1 snapshot records a field layout no released booksnap wrote; its schema is unknown",
      { hint: "Re-export the snapshot with this booksnap (format 2 records its schema)." },
    );
  }
  return FORMAT1_SCHEMA;
}
