import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CollisionGuard } from "../../src/redact/collision-guard.js";
import { createRowRedactor, RedactionCollisionError } from "../../src/redact/row-redactor.js";
import { column, table } from "../helpers/schema-builders.js";

/**
 * Pseudonyms of a unique column stay unique: shown on 200,000 distinct values (96-bit
 * pseudonyms: the chance of any collision there is about 200000²/2^97 ≈ 3e-19), and enforced at
 * export by the collision guard, which is tested by forcing collisions.
 */

const COUNT = 200_000;

describe("unique columns keep unique pseudonyms", () => {
  it(`maps ${COUNT.toLocaleString("en")} distinct emails of a unique column to distinct pseudonyms`, () => {
    const users = table("User", [column("id", "int4"), column("email", "text")], { uniques: [["email"]] });
    const redact = createRowRedactor(
      users,
      { User: { email: { kind: "email", domain: "User.email" } } },
      "key",
    );
    if (!redact) throw new Error("User has rules");
    const seen = new Set<string>();
    for (let i = 0; i < COUNT; i++) {
      const [, email] = redact([i, `reader${i}@mail${i % 97}.example.com`]);
      seen.add(email as string);
    }
    expect(seen.size).toBe(COUNT);
  });

  it("names on a unique column use 96 bits too (48 elsewhere), and stay distinct", () => {
    const people = table("Person", [column("id", "int4"), column("fullName", "text")], {
      uniques: [["fullName"]],
    });
    const redact = createRowRedactor(
      people,
      { Person: { fullName: { kind: "name", domain: "Person.fullName" } } },
      "k",
    );
    const names = new Set<string>();
    for (let i = 0; i < 50_000; i++) names.add(redact?.([i, `Person ${i}`])[1] as string);
    expect(names.size).toBe(50_000);
    expect([...names][0]).toMatch(/^Name [0-9a-f]{24}$/);
  });

  it("fails with a typed error instead of writing a snapshot that could not be imported", () => {
    // An uncovered NOT NULL varchar(2) unique column: pseudonyms are cut to 2 hex digits (256
    // possible values), so 1,000 distinct inputs must collide.
    const codes = table(
      "Code",
      [column("id", "int4"), column("code", "text", { length: 2 }), column("x", "text")],
      {
        uniques: [["code"]],
      },
    );
    const redact = createRowRedactor(codes, { Code: { x: { kind: "freeText", domain: "Code.x" } } }, "k");
    let caught: unknown;
    try {
      for (let i = 0; i < 1000; i++) redact?.([i, `c${i}`, "x"]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RedactionCollisionError);
    expect(caught).toMatchObject({
      code: "E_REDACTION_COLLISION",
      details: { table: "Code", column: "code" },
    });
    expect(String((caught as Error).message)).not.toMatch(/c\d+/);
  });

  it("the same value seen again (multi-column unique key, repeated rows) is not a collision", () => {
    const memberships = table(
      "Member",
      [column("id", "int4"), column("email", "text"), column("team", "int4")],
      { uniques: [["email", "team"]] },
    );
    const redact = createRowRedactor(
      memberships,
      { Member: { email: { kind: "email", domain: "Member.email" } } },
      "k",
    );
    const a = redact?.([1, "a@x.org", 1]);
    const b = redact?.([2, "a@x.org", 2]);
    expect(a?.[1]).toBe(b?.[1]);
  });
});

describe("CollisionGuard", () => {
  const digest = (text: string) => createHash("sha256").update(text).digest();

  it("accepts distinct digests and repeats of the same one, across table growth", () => {
    const guard = new CollisionGuard(16);
    let refused = 0;
    for (let i = 0; i < 100_000; i++) if (!guard.add(digest(String(i)))) refused++;
    for (let i = 0; i < 100_000; i += 997) if (!guard.add(digest(String(i)))) refused++;
    expect(refused).toBe(0);
    expect(guard.count).toBe(100_000);
  });

  it("refuses the same 96-bit pseudonym with different further bits (two inputs, one pseudonym)", () => {
    const guard = new CollisionGuard();
    const first = digest("a");
    expect(guard.add(first)).toBe(true);
    const forged = Buffer.from(first);
    forged.writeUInt32BE((first.readUInt32BE(12) + 1) >>> 0, 12);
    expect(guard.add(forged)).toBe(false);
    expect(guard.add(Buffer.from(first))).toBe(true);
  });
});
