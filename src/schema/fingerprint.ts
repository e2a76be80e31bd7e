import { sha256Hex, stableStringify } from "../snapshot/canonical.js";
import type { SchemaDescription } from "./description.js";

/**
 * "sha256:<hex>" of the description's stable JSON (keys sorted, arrays kept in order): table and
 * column order are part of the contract, so reordering columns changes the fingerprint.
 */
export function schemaFingerprint(description: SchemaDescription): string {
  return `sha256:${sha256Hex(stableStringify(description))}`;
}
