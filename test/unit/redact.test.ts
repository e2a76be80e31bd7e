import { describe, expect, it } from "vitest";
import { createRedactor, pseudonymise, REDACTED_USER_FIELDS } from "../../src/export/redact.js";
import { validateRecord } from "../../src/snapshot/validate.js";

const user = {
  id: 7,
  clerkId: "user_2abcDEF",
  email: "alice@example.com",
  name: "Alice Liddell",
  profileImageUrl: "https://img.clerk.com/alice.png",
  githubUrl: "https://github.com/alice",
  instagramUrl: null,
  linkedinUrl: "https://linkedin.com/in/alice",
  letterboxdUrl: null,
  spotifyUrl: "https://open.spotify.com/user/alice",
  createdAt: "2025-01-01T00:00:00.000Z",
  updatedAt: "2025-01-02T00:00:00.000Z",
};

describe("PII pseudonymisation", () => {
  it("replaces every PII field, keeps ids, timestamps and nulls, and stays a valid User record", () => {
    const out = createRedactor("k1").user(user);
    for (const field of REDACTED_USER_FIELDS) {
      if (user[field] === null) expect(out[field]).toBeNull();
      else expect(out[field]).not.toBe(user[field]);
    }
    expect(out.id).toBe(7);
    expect(out.createdAt).toBe(user.createdAt);
    expect(JSON.stringify(out)).not.toMatch(/alice|Liddell/i);
    expect(validateRecord("User", out).ok).toBe(true);
  });

  it("is deterministic per key and differs between keys", () => {
    expect(createRedactor("k1").user(user)).toEqual(createRedactor("k1").user(user));
    expect(pseudonymise("k1", "email", user.email)).not.toBe(pseudonymise("k2", "email", user.email));
  });

  it("keeps the shape: an email address, a clerk id, https URLs on a reserved domain", () => {
    const out = createRedactor("k1").user(user);
    expect(out.email).toMatch(/^user-[0-9a-f]{24}@example\.invalid$/);
    expect(out.clerkId).toMatch(/^user_[0-9a-f]{24}$/);
    expect(out.githubUrl).toMatch(/^https:\/\/example\.invalid\/github\/[0-9a-f]{24}$/);
    expect(out.profileImageUrl).toMatch(/^https:\/\/example\.invalid\/avatar\/[0-9a-f]{24}$/);
    expect(() => new URL(out.spotifyUrl as string)).not.toThrow();
  });

  it("keeps unique values unique (pseudonyms derive from the value, per field)", () => {
    const emails = new Set(Array.from({ length: 5000 }, (_, i) => pseudonymise("k", "email", `r${i}@x.org`)));
    expect(emails.size).toBe(5000);
    // The same value in two fields gets two different pseudonyms (no cross-field linking).
    expect(pseudonymise("k", "githubUrl", "x")).not.toBe(
      (pseudonymise("k", "linkedinUrl", "x") as string).replace("linkedin", "github"),
    );
  });
});
