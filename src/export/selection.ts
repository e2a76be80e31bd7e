import { UsageError } from "../errors.js";

/** An --owner value: a numeric user id or an email address. */
export type OwnerRef =
  | { kind: "id"; id: number; given: string }
  | { kind: "email"; email: string; given: string };

const INT32_MAX = 2147483647;

export function parseOwnerRefs(values: readonly string[]): OwnerRef[] {
  return values.map((raw) => {
    const given = raw.trim();
    if (/^\d+$/.test(given)) {
      const id = Number(given);
      if (id < 1 || id > INT32_MAX) throw badOwner(raw);
      return { kind: "id", id, given };
    }
    if (/^[^\s@]+@[^\s@]+$/.test(given)) return { kind: "email", email: given, given };
    throw badOwner(raw);
  });
}

function badOwner(raw: string): UsageError {
  return new UsageError(`--owner ${JSON.stringify(raw)} is neither an owner id nor an email address`, {
    code: "E_BAD_OWNER",
    hint: "Pass a numeric owner id (--owner 42) or an email (--owner reader@example.com); repeat for several.",
  });
}
