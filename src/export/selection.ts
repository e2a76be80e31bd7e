import { UsageError } from "../errors.js";

/** An --owner value: an owner id (any key type: integer, uuid, text) or an email address. */
export type OwnerRef =
  | { kind: "id"; id: string; given: string }
  | { kind: "email"; email: string; given: string };

/** An id as typed on a command line: letters, digits and - _ . : (integers, uuids, slugs). */
const OWNER_ID = /^[A-Za-z0-9_.:-]{1,200}$/;

/**
 * Parses --owner values. The id is matched against the configured owners table's id column
 * (cast to its type there, so `42` works for an integer key and a uuid for a uuid key).
 */
export function parseOwnerRefs(values: readonly string[]): OwnerRef[] {
  return values.map((raw) => {
    const given = raw.trim();
    if (/^[^\s@]+@[^\s@]+$/.test(given)) return { kind: "email", email: given, given };
    if (OWNER_ID.test(given)) return { kind: "id", id: given, given };
    throw badOwner(raw);
  });
}

function badOwner(raw: string): UsageError {
  return new UsageError(`--owner ${JSON.stringify(raw)} is neither an owner id nor an email address`, {
    code: "E_BAD_OWNER",
    hint: "Pass an owner id (--owner 42, or a uuid) or an email (--owner reader@example.com); repeat for several.",
  });
}
