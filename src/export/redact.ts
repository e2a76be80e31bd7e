import { createHmac } from "node:crypto";

/**
 * Deterministic pseudonymisation of user PII. The same input and key always give the same
 * pseudonym, so repeated exports line up and unique values stay unique (pseudonyms are derived
 * from the value, 96 bits of HMAC-SHA256). Nulls stay null; URLs keep the shape of a URL.
 */

// The key is secret and per user or team (src/config/redaction-key.ts): there is no built-in key,
// since a published one would let anyone reverse pseudonyms by hashing guessed values.

/** User fields replaced by pseudonyms, in the manifest's `redaction.fields`. */
export const REDACTED_USER_FIELDS = [
  "clerkId",
  "email",
  "name",
  "profileImageUrl",
  "githubUrl",
  "instagramUrl",
  "linkedinUrl",
  "letterboxdUrl",
  "spotifyUrl",
] as const;
export type RedactedUserField = (typeof REDACTED_USER_FIELDS)[number];

/** Path segment of the pseudonymous URL per URL field: https://example.invalid/<segment>/<hash>. */
const URL_SEGMENTS: Partial<Record<RedactedUserField, string>> = {
  profileImageUrl: "avatar",
  githubUrl: "github",
  instagramUrl: "instagram",
  linkedinUrl: "linkedin",
  letterboxdUrl: "letterboxd",
  spotifyUrl: "spotify",
};

/** RFC 2606 reserved domain: pseudonymous addresses and URLs can never reach a real party. */
const PSEUDONYM_DOMAIN = "example.invalid";
/** 24 hex chars = 96 bits: collisions are negligible for any realistic user count. */
const HASH_CHARS = 24;

export interface Redactor {
  /** Returns a copy of a User record with every PII field pseudonymised. */
  user(record: Readonly<Record<string, unknown>>): Record<string, unknown>;
  /** The pseudonym of one field value (null stays null). */
  field(field: RedactedUserField, value: string | null): string | null;
}

/** HMAC of a value, domain-separated by field so equal values in different fields differ. */
export function pseudonymHash(key: string, field: string, value: string): string {
  return createHmac("sha256", key).update(`${field}\u0000${value}`).digest("hex").slice(0, HASH_CHARS);
}

export function pseudonymise(key: string, field: RedactedUserField, value: string | null): string | null {
  if (value === null) return null;
  const hash = pseudonymHash(key, field, value);
  const segment = URL_SEGMENTS[field];
  if (segment) return `https://${PSEUDONYM_DOMAIN}/${segment}/${hash}`;
  switch (field) {
    case "email":
      return `user-${hash}@${PSEUDONYM_DOMAIN}`;
    case "clerkId":
      return `user_${hash}`;
    default:
      return `Reader ${hash.slice(0, 10)}`;
  }
}

export function createRedactor(key: string): Redactor {
  return {
    field: (field, value) => pseudonymise(key, field, value),
    user(record) {
      const out: Record<string, unknown> = { ...record };
      for (const field of REDACTED_USER_FIELDS) {
        const value = record[field];
        out[field] = value === null || value === undefined ? null : pseudonymise(key, field, String(value));
      }
      return out;
    },
  };
}
