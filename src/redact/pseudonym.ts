import { createHmac } from "node:crypto";
import type { PseudonymKind } from "../config/config-file-schema.js";

/**
 * Keyed, deterministic pseudonyms: HMAC-SHA256(key, domain NUL value), domain = "Table.column"
 * (or the column a rule shares pseudonyms with). The same value, key and domain always give the
 * same pseudonym, so repeated exports line up; equal values in different columns differ; without
 * the key nobody can check a guessed value (src/config/redaction-key.ts keeps it secret).
 */

/** RFC 2606 reserved domain: pseudonymous addresses and URLs can never reach a real party. */
export const PSEUDONYM_DOMAIN = "example.invalid";

/**
 * Hex digits of the digest a pseudonym shows. 24 hex = 96 bits: n distinct values collide with
 * probability about n²/2^97 (1e-17 for a million). Columns in a unique constraint always get 96
 * bits, and export checks them anyway (collision-guard.ts).
 */
export const UNIQUE_HASH_CHARS = 24;
/**
 * Names and free text of non-unique columns show 12 hex (48 bits) to stay readable in the app's
 * pages; two people may share a pseudonymous name there, as they may share a real one.
 */
export const SHORT_HASH_CHARS = 12;

/** The HMAC-SHA256 digest (32 bytes) of one value in one domain. */
export function keyedDigest(key: string, domain: string, value: string): Buffer {
  return createHmac("sha256", key).update(`${domain}\u0000${value}`).digest();
}

export interface PseudonymShape {
  /** The column is in a unique constraint or primary key: 96-bit pseudonyms. */
  unique: boolean;
  /** Column name, for the path segment of URL pseudonyms. */
  column: string;
  /** The column is uuid-typed (kind opaqueId only): the pseudonym is a UUID. */
  uuid: boolean;
}

/** The pseudonym of `value` whose digest is `digest`. Longest results: see MAX_PSEUDONYM_LENGTH. */
export function pseudonymFor(
  kind: PseudonymKind,
  value: string,
  digest: string,
  shape: PseudonymShape,
): string {
  const long = digest.slice(0, UNIQUE_HASH_CHARS);
  const readable = shape.unique ? long : digest.slice(0, SHORT_HASH_CHARS);
  switch (kind) {
    case "email":
      return `user-${long}@${PSEUDONYM_DOMAIN}`;
    case "url":
      return `https://${PSEUDONYM_DOMAIN}/${urlSegment(shape.column)}/${long}`;
    case "opaqueId":
      return shape.uuid ? uuidFromDigest(digest) : `${opaquePrefix(value)}${long}`;
    case "name":
      return `Name ${readable}`;
    case "freeText":
      return `Redacted text ${readable}`;
  }
}

/**
 * Longest pseudonym per kind, for checking varchar(n) columns up front. URL: the segment is at
 * most 20 characters; opaqueId: a kept prefix is at most 17 characters (see opaquePrefix).
 */
export const MAX_PSEUDONYM_LENGTH: Record<PseudonymKind, number> = {
  email: 5 + UNIQUE_HASH_CHARS + 1 + PSEUDONYM_DOMAIN.length,
  url: 8 + PSEUDONYM_DOMAIN.length + 1 + 20 + 1 + UNIQUE_HASH_CHARS,
  opaqueId: 17 + UNIQUE_HASH_CHARS,
  name: 5 + UNIQUE_HASH_CHARS,
  freeText: 14 + UNIQUE_HASH_CHARS,
};

/** "githubUrl" → "githuburl": a path segment that says which column the URL came from. */
function urlSegment(column: string): string {
  const segment = column
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 20);
  return segment || "link";
}

/**
 * External ids often carry a type prefix (Clerk's "user_…", Stripe's "cus_…"); keeping it keeps
 * the value's shape for code that checks it, and says nothing about the person.
 */
function opaquePrefix(value: string): string {
  return /^[A-Za-z][A-Za-z0-9]{0,15}_/.exec(value)?.[0] ?? "";
}

/** A UUID (version 8, "custom") from the digest: 122 bits of it, the rest fixed by RFC 9562. */
function uuidFromDigest(digest: string): string {
  const variant = ((Number.parseInt(digest.charAt(16), 16) & 0x3) | 0x8).toString(16);
  const hex = `${digest.slice(0, 12)}8${digest.slice(13, 16)}${variant}${digest.slice(17, 32)}`;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
