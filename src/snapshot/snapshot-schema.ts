import { SnapshotIntegrityError } from "../errors.js";
import type { SchemaDescription } from "../schema/description.js";
import { stableStringify } from "./canonical.js";
import { FORMAT1_SCHEMA, format1FieldList } from "./format1-layout.js";

/**
 * What a manifest of either format says about its schema: format 2 records the description it
 * was written under (`schema.description`); format 1 recorded the field list of its one frozen
 * layout (`schema.models`). Structural, so it accepts format 1's parsed manifest and format 2's.
 */
export interface ManifestSchemaPart {
  formatVersion: number;
  schema: { fingerprint: string; description?: SchemaDescription; models?: unknown };
}

/**
 * The schema a snapshot's rows were written under: the one the compatibility report compares with
 * a target. A format-1 manifest must record exactly the frozen layout's field list (every
 * booksnap that wrote format 1 did); anything else is refused rather than guessed.
 */
export function snapshotSchemaOf(manifest: ManifestSchemaPart): SchemaDescription {
  if (manifest.formatVersion >= 2) {
    if (manifest.schema.description) return manifest.schema.description;
    throw new SnapshotIntegrityError(
      "E_MANIFEST_INVALID",
      `A format-${manifest.formatVersion} manifest must record its schema description (schema.description)`,
    );
  }
  if (stableStringify(manifest.schema.models) !== stableStringify(format1FieldList())) {
    throw new SnapshotIntegrityError(
      "E_FORMAT_VERSION",
      "This format-1 snapshot records a field layout no released booksnap wrote; its schema is unknown",
      { hint: "Re-export the snapshot with this booksnap (format 2 records its schema)." },
    );
  }
  return FORMAT1_SCHEMA;
}
