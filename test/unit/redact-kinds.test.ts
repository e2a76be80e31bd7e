import { describe, expect, it } from "vitest";
import type { PseudonymKind } from "../../src/config/config-file-schema.js";
import { presetProjectConfig } from "../../src/config/project-config.js";
import {
  keyedDigest,
  MAX_PSEUDONYM_LENGTH,
  type PseudonymShape,
  pseudonymFor,
} from "../../src/redact/pseudonym.js";
import { createRowRedactor, redactColumnValue } from "../../src/redact/row-redactor.js";
import { bookAppDescription, bookUserTable, column, table } from "../helpers/schema-builders.js";

const plain: PseudonymShape = { unique: false, column: "githubUrl", uuid: false };
const pseudonym = (kind: PseudonymKind, value: string, key = "k1", domain = "T.c", shape = plain) =>
  pseudonymFor(kind, value, keyedDigest(key, domain, value).toString("hex"), shape);

describe("pseudonyms per kind", () => {
  it("are deterministic, and depend on the key and on the domain (table and column)", () => {
    for (const kind of ["email", "name", "url", "opaqueId", "freeText"] as const) {
      expect(pseudonym(kind, "alice")).toBe(pseudonym(kind, "alice"));
      expect(pseudonym(kind, "alice")).not.toBe(pseudonym(kind, "alice", "k2"));
      expect(pseudonym(kind, "alice")).not.toBe(pseudonym(kind, "alice", "k1", "T.other"));
      expect(pseudonym(kind, "alice")).not.toBe(pseudonym(kind, "bob"));
      expect(pseudonym(kind, "alice")).not.toContain("alice");
      expect(pseudonym(kind, "x".repeat(500)).length).toBeLessThanOrEqual(MAX_PSEUDONYM_LENGTH[kind]);
    }
  });

  it("email: an address on the reserved domain example.invalid", () => {
    expect(pseudonym("email", "alice@example.com")).toMatch(/^user-[0-9a-f]{24}@example\.invalid$/);
  });

  it("url: an https URL on example.invalid whose path says the column", () => {
    const url = new URL(pseudonym("url", "https://github.com/alice"));
    expect(url.protocol).toBe("https:");
    expect(url.hostname).toBe("example.invalid");
    expect(url.pathname).toMatch(/^\/githuburl\/[0-9a-f]{24}$/);
    const odd = pseudonym("url", "x", "k1", "T.c", { ...plain, column: "Ünïcode  URL!!" });
    expect(new URL(odd).pathname).toMatch(/^\/n-code-url\/[0-9a-f]{24}$/);
  });

  it("opaqueId keeps a type prefix like Clerk's user_, and fills a uuid column with a valid UUID", () => {
    expect(pseudonym("opaqueId", "user_2abcDEF")).toMatch(/^user_[0-9a-f]{24}$/);
    expect(pseudonym("opaqueId", "2abcDEF")).toMatch(/^[0-9a-f]{24}$/);
    const uuid = pseudonym("opaqueId", "0b8e…", "k1", "T.c", { ...plain, uuid: true });
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("name and free text are short and readable, with 96 bits on unique columns", () => {
    expect(pseudonym("name", "Alice Liddell")).toMatch(/^Name [0-9a-f]{12}$/);
    expect(pseudonym("freeText", "I like books")).toMatch(/^Redacted text [0-9a-f]{12}$/);
    expect(pseudonym("name", "A", "k1", "T.c", { ...plain, unique: true })).toMatch(/^Name [0-9a-f]{24}$/);
  });
});

describe("createRowRedactor on positional rows", () => {
  const description = bookAppDescription();
  const config = presetProjectConfig();
  const user = description.tables.find((t) => t.name === "User") ?? bookUserTable();
  const row = [
    7,
    "user_2abcDEF",
    "alice@example.com",
    "Alice Liddell",
    "https://img.clerk.com/alice.png",
    "https://github.com/alice",
    null,
    "https://linkedin.com/in/alice",
    null,
    "https://open.spotify.com/user/alice",
    "2025-01-01 00:00:00",
    "2025-01-02 00:00:00",
  ];

  it("redacts the book app's User by the built-in rules: PII replaced, ids, timestamps and nulls kept", () => {
    const redact = createRowRedactor(user, config.redaction, "k1", description);
    if (!redact) throw new Error("User has rules");
    const out = redact(row);
    expect(out).toHaveLength(row.length);
    expect(out[0]).toBe(7);
    expect(out[1]).toMatch(/^user_[0-9a-f]{24}$/);
    expect(out[2]).toMatch(/^user-[0-9a-f]{24}@example\.invalid$/);
    expect(out[3]).toMatch(/^Name [0-9a-f]{12}$/);
    expect(out[6]).toBeNull();
    expect(out[8]).toBeNull();
    expect(out.slice(10)).toEqual(row.slice(10));
    expect(JSON.stringify(out)).not.toMatch(/alice|Liddell|clerk|github\.com/i);
    expect(redact.plan.uncovered).toEqual([]);
    expect(row[2]).toBe("alice@example.com"); // the input row is not modified
    expect(createRowRedactor(user, config.redaction, "k1", description)?.(row)).toEqual(out);
    expect(createRowRedactor(user, config.redaction, "k2", description)?.(row)[2]).not.toBe(out[2]);
  });

  it("redactColumnValue gives one value's pseudonym, as in a redacted row (e.g. an owner's email)", () => {
    const out = createRowRedactor(user, config.redaction, "k1", description)?.(row) ?? [];
    expect(redactColumnValue(user, config.redaction, "k1", "email", "alice@example.com", description)).toBe(
      out[2],
    );
    expect(redactColumnValue(user, config.redaction, "k1", "id", 7, description)).toBe(7);
    expect(redactColumnValue(user, config.redaction, "k1", "nope", "x", description)).toBeUndefined();
  });

  it("leaves tables without rules alone (no redactor), and keeps foreign keys to kept columns", () => {
    for (const name of ["Book", "ReadingList", "BookInReadingList"]) {
      const t = description.tables.find((candidate) => candidate.name === name);
      if (!t) throw new Error(name);
      expect(createRowRedactor(t, config.redaction, "k1", description)).toBeUndefined();
    }
  });

  it("sameAs: AppSettings' Clerk id gets the same pseudonym as the User's", () => {
    const settings = description.tables.find((t) => t.name === "AppSettings");
    if (!settings) throw new Error("AppSettings");
    const out = createRowRedactor(
      settings,
      config.redaction,
      "k1",
      description,
    )?.([1, "user_2abcDEF", "2025-01-01"]);
    const userOut = createRowRedactor(user, config.redaction, "k1", description)?.(row);
    expect(out?.[1]).toBe(userOut?.[1]);
  });

  it("handles arrays element by element: NULL array, empty array and NULL elements stay as they are", () => {
    const t = table("Contact", [
      column("id", "int4"),
      column("emails", "text", { array: true, nullable: true }),
    ]);
    const redact = createRowRedactor(
      t,
      { Contact: { emails: { kind: "email", domain: "Contact.emails" } } },
      "k",
    );
    expect(redact?.([1, null])).toEqual([1, null]);
    expect(redact?.([1, []])).toEqual([1, []]);
    const out = redact?.([1, ["a@x.org", null, "a@x.org"]]) ?? [];
    const emails = out[1] as (string | null)[];
    expect(emails[0]).toMatch(/@example\.invalid$/);
    expect(emails[1]).toBeNull();
    expect(emails[2]).toBe(emails[0]);
  });

  it("kind null empties a nullable column; char(n) pseudonyms are blank-padded like PostgreSQL prints them", () => {
    const t = table("P", [
      column("id", "int4"),
      column("note", "text", { nullable: true }),
      column("code", "text", { length: 60, fixedLength: true, sql: "character(60)" }),
    ]);
    const rules = {
      P: {
        note: { kind: "null" as const, domain: "P.note" },
        code: { kind: "opaqueId" as const, domain: "P.code" },
      },
    };
    const out = createRowRedactor(t, rules, "k")?.([1, "secret", "ABC".padEnd(60)]) ?? [];
    expect(out[1]).toBeNull();
    expect(out[2]).toHaveLength(60);
    expect(String(out[2]).trimEnd()).toMatch(/^[0-9a-f]{24}$/);
  });

  it("a foreign key to a redacted column follows its rule, so references still match", () => {
    const account = table("Account", [column("handle", "text")], { primaryKey: ["handle"] });
    const post = table("Post", [column("id", "int4"), column("author", "text"), column("body", "text")], {
      foreignKeys: [{ ...fkTo("author", "Account", "handle") }],
    });
    const rules = { Account: { handle: { kind: "opaqueId" as const, domain: "Account.handle" } } };
    const schema = { tables: [account, post], enums: {} };
    const a = createRowRedactor(account, rules, "k", schema)?.(["alice"]);
    const redactPost = createRowRedactor(post, rules, "k", schema);
    expect(redactPost?.plan.rules.find((r) => r.column === "author")?.implicit).toBe(
      "references Account.handle",
    );
    const p = redactPost?.([1, "alice", "hello"]);
    expect(p?.[1]).toBe(a?.[0]);
    expect(p?.[2]).toBe("hello"); // Post has no rules of its own: the rest is kept
  });

  it("refuses rules that cannot apply, naming table and column (exit 2)", () => {
    const t = table("Q", [
      column("id", "int4"),
      column("age", "int4"),
      column("email", "text"),
      column("short", "text", { length: 10, sql: "character varying(10)" }),
    ]);
    const rule = (kind: "email" | "null", col: string) => ({ Q: { [col]: { kind, domain: `Q.${col}` } } });
    expect(() => createRowRedactor(t, rule("email", "age"), "k")).toThrow(
      /Q\.age: kind email needs a text column/,
    );
    expect(() => createRowRedactor(t, rule("null", "email"), "k")).toThrow(
      /Q\.email: kind null on a NOT NULL column/,
    );
    expect(() => createRowRedactor(t, rule("email", "short"), "k")).toThrow(
      /up to 45 characters; character varying\(10\) holds 10/,
    );
    try {
      createRowRedactor(t, rule("email", "age"), "k");
    } catch (error) {
      expect(error).toMatchObject({ code: "E_CONFIG_REFERENCE", exitCode: 2 });
    }
  });
});

function fkTo(columnName: string, tableName: string, referenced: string) {
  return {
    name: `${columnName}_fkey`,
    columns: [columnName],
    references: { table: tableName, columns: [referenced] },
    onDelete: "cascade" as const,
    onUpdate: "cascade" as const,
    deferrable: false,
  };
}
