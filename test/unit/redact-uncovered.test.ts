import { describe, expect, it } from "vitest";
import { BOOK_APP_PRESET } from "../../src/config/book-app-preset.js";
import { configFileSchema } from "../../src/config/config-file-schema.js";
import {
  buildProjectConfig,
  mergeConfigFiles,
  presetProjectConfig,
} from "../../src/config/project-config.js";
import { planRedaction } from "../../src/redact/plan.js";
import { createRowRedactor } from "../../src/redact/row-redactor.js";
import { formatSuggestedRules } from "../../src/redact/uncovered.js";
import { bookAppDescription, bookUserTable, column, table } from "../helpers/schema-builders.js";

/** The User table after migrations the config has not caught up with. */
const drifted = bookUserTable([
  column("bio", "text", { nullable: true }),
  column("nickname", "text"),
  column("isPublic", "bool"),
  column("score", "int8"),
  column("rank", "int4"),
  column("tags", "text", { array: true, sql: "text[]" }),
  column("mood", "enum", { enumName: "Mood", sql: '"Mood"' }),
  column("born", "date"),
  column("lastSeen", "timestamptz"),
  column("prefs", "jsonb"),
  column("avatar", "bytea"),
  column("externalRef", "uuid"),
]);
const description = {
  ...bookAppDescription({ user: drifted }),
  enums: { ...bookAppDescription().enums, Mood: ["CALM", "ANGRY"] },
};
const row = [
  7,
  "user_2abc",
  "alice@example.com",
  "Alice",
  null,
  null,
  null,
  null,
  null,
  null,
  "2025-01-01 00:00:00",
  "2025-01-02 00:00:00",
  "I grew up in Leeds",
  "zed_nick",
  true,
  "123456789012345678",
  42,
  ["reader", "leeds"],
  "ANGRY",
  "1990-05-04",
  "2025-01-01 10:00:00+00",
  '{"theme": "dark"}',
  "\\x89504e47",
  "8d3f7d0e-54a1-4c55-9d53-8f3c2b1a0e11",
];

describe("columns no rule covers (drift never leaks)", () => {
  const config = presetProjectConfig();

  it("the built-in rules cover every column of the book app's User: nothing uncovered today", () => {
    const plan = planRedaction(bookAppDescription(), config.redaction);
    expect(plan.uncovered).toEqual([]);
    expect(plan.problems).toEqual([]);
    expect([...plan.tables.keys()]).toEqual(["User", "AppSettings"]);
  });

  it("replaces each new column by its type and nullability, never in clear", () => {
    const redact = createRowRedactor(drifted, config.redaction, "k", description);
    if (!redact) throw new Error("User has rules");
    const out = redact(row);
    expect(redact.plan.uncovered.map(({ column, replacement }) => [column, replacement])).toEqual([
      ["bio", "null"],
      ["nickname", "pseudonym"],
      ["isPublic", "false"],
      ["score", "0"],
      ["rank", "0"],
      ["tags", "empty-array"],
      ["mood", "first-label"],
      ["born", "epoch"],
      ["lastSeen", "epoch"],
      ["prefs", "json-null"],
      ["avatar", "empty-bytes"],
      ["externalRef", "pseudonym"],
    ]);
    expect(out.slice(12)).toEqual([
      null,
      expect.stringMatching(/^Redacted text [0-9a-f]{12}$/),
      false,
      "0",
      0,
      [],
      "CALM",
      "1970-01-01",
      "1970-01-01 00:00:00+00",
      "null",
      "\\x",
      expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
    ]);
    const text = JSON.stringify(out);
    for (const secret of [
      "Leeds",
      "zed_nick",
      "reader",
      "dark",
      "89504e47",
      "8d3f7d0e",
      "1990",
      "123456789",
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it("prints the exact rule lines to add, and adding them covers every column", () => {
    const plan = planRedaction(description, config.redaction);
    const lines = formatSuggestedRules(plan.uncovered, config.origin);
    expect(lines[0]).toMatch(/Create booksnap\.config\.json with "extends": "book-app"/);
    expect(lines.slice(1)).toEqual([
      '  "redaction": {',
      '    "User": {',
      '      "bio": "freeText",',
      '      "nickname": "name",',
      '      "isPublic": "keep",',
      '      "score": "keep",',
      '      "rank": "keep",',
      '      "tags": "freeText",',
      '      "mood": "keep",',
      '      "born": "keep",',
      '      "lastSeen": "keep",',
      '      "prefs": "keep",',
      '      "avatar": "keep",',
      '      "externalRef": "opaqueId"',
      "    }",
      "  }",
    ]);
    // The lines are a valid fragment of a config file: paste them, and nothing is uncovered.
    const file = configFileSchema.parse(
      JSON.parse(`{ "extends": "book-app", ${lines.slice(1).join("\n")} }`),
    );
    const fixed = buildProjectConfig(mergeConfigFiles(BOOK_APP_PRESET, file), {
      kind: "built-in",
      preset: "book-app",
    });
    const after = planRedaction(description, fixed.redaction);
    expect(after.uncovered).toEqual([]);
    expect(after.problems).toEqual([]);
  });

  it("keeps keys: primary key, foreign-key columns and referenced columns are identifiers, not PII", () => {
    const parent = table("Parent", [column("id", "int4"), column("code", "text"), column("label", "text")], {
      uniques: [["code"]],
    });
    const child = table(
      "Child",
      [column("id", "int4"), column("parentCode", "text"), column("secret", "text")],
      {
        foreignKeys: [
          {
            name: "c",
            columns: ["parentCode"],
            references: { table: "Parent", columns: ["code"] },
            onDelete: "cascade",
            onUpdate: "cascade",
            deferrable: false,
          },
        ],
      },
    );
    const schema = { schema: "public", tables: [parent, child], enums: {} };
    const rules = { Parent: { label: { kind: "name" as const, domain: "Parent.label" } }, Child: {} };
    const plan = planRedaction(schema, rules);
    expect(plan.rules.filter((r) => r.implicit === "key").map((r) => `${r.table}.${r.column}`)).toEqual([
      "Parent.id",
      "Parent.code",
      "Child.id",
      "Child.parentCode",
    ]);
    expect(plan.uncovered.map((u) => `${u.table}.${u.column}`)).toEqual(["Child.secret"]);
  });

  it("refuses a constant replacement for a column that is unique on its own, with the rule to add", () => {
    const t = table("Device", [column("id", "int4"), column("serial", "int8"), column("owner", "text")], {
      uniques: [["serial"]],
    });
    const rules = { Device: { owner: { kind: "name" as const, domain: "Device.owner" } } };
    expect(() => createRowRedactor(t, rules, "k")).toThrow(
      /Device\.serial is unique and no rule covers it.*"serial": "keep"/,
    );
  });

  it("records applied rules for the manifest, with pseudonym domains", () => {
    const plan = planRedaction(bookAppDescription(), config.redaction);
    expect(plan.rules).toContainEqual({
      table: "User",
      column: "email",
      kind: "email",
      domain: "User.email",
    });
    expect(plan.rules).toContainEqual({
      table: "AppSettings",
      column: "defaultUserClerkId",
      kind: "opaqueId",
      domain: "User.clerkId",
    });
    expect(plan.rules).toContainEqual({ table: "User", column: "createdAt", kind: "keep" });
  });
});
