import { describe, expect, it } from "vitest";
import {
  lexicalProblem,
  parseWherePredicate,
  predicateForRedactedManifest,
} from "../../src/export/where-predicate.js";
import type { SchemaDescription } from "../../src/schema/description.js";

const table = (name: string) => ({
  name,
  columns: [],
  primaryKey: [],
  foreignKeys: [],
  uniques: [],
  indexes: [],
});
const description: SchemaDescription = {
  schema: "public",
  tables: [table("Book"), table('Odd "name"'), table("user"), table("User")],
  enums: {},
};

describe("--where parsing", () => {
  it("splits the table prefix: bare, case-folded when unambiguous, quoted with doubled quotes", () => {
    expect(parseWherePredicate(`Book: "visibility" = 'PUBLIC'`, description)).toEqual({
      table: "Book",
      predicate: `"visibility" = 'PUBLIC'`,
    });
    expect(parseWherePredicate(`book:id>1`, description).table).toBe("Book");
    expect(parseWherePredicate(`"Odd ""name""" : true`, description).table).toBe('Odd "name"');
    expect(parseWherePredicate(`user: true`, description).table).toBe("user");
    expect(() => parseWherePredicate(`USER: true`, description)).toThrow(/no table "USER"/);
  });

  it.each([
    [`1=1; DROP TABLE x`, 4],
    [`a = 'it''s'; x`, 12],
    [`a = E'\\'' ;`, 11],
    [`true) OR (true`, 5],
    [`(a`, 2],
    [`'open`, 1],
    [`"open`, 1],
    [`$q$ open`, 1],
    [`/* /* */ open`, 1],
  ])("%s is refused at character %i", (sql, position) => {
    expect(lexicalProblem(sql)?.position).toBe(position);
  });

  it.each([
    `title <> 'a;b'`,
    `"we;ird" = 1`,
    `x = $$;$$ AND y = $t$;$t$`,
    `a = 1 -- ; trailing comment`,
    `a = 1 /* ; /* nested ; */ */`,
    `price$1 > 0 AND f(g(1), (2))`,
    `e = 'E''x;'`,
  ])("%s passes", (sql) => {
    expect(lexicalProblem(sql)).toBeUndefined();
  });

  it("a redacted manifest records the predicate without its string constants and comments", () => {
    const predicate = `"email" = 'ann@x.com' OR name = E'O\\'Brien' /* bob@y */ AND x = $t$carl$t$ -- dora\n AND id > 3`;
    const recorded = predicateForRedactedManifest(predicate);
    expect(recorded).toBe(`"email" = '…' OR name = E'…'   AND x = '…'   AND id > 3`);
    for (const secret of ["ann@x", "Brien", "bob@y", "carl", "dora"]) expect(recorded).not.toContain(secret);
    expect(lexicalProblem(recorded)).toBeUndefined();
  });

  it("lexes as PostgreSQL: -- ends at \\r, non-ASCII continues identifiers, backslashes with scs off", () => {
    expect(lexicalProblem(`true --\r) OR (true`)?.position).toBe(9);
    expect(lexicalProblem(`é$$ ) $$`)?.position).toBe(5);
    const twoStrings = `t = '\\' AND t = ') OR (true --'`;
    expect(lexicalProblem(twoStrings)).toBeUndefined();
    expect(lexicalProblem(twoStrings, { standardConformingStrings: false })?.position).toBe(18);
  });

  it("an unknown table's hint lists at most 30 of 10,000 tables", () => {
    const wide: SchemaDescription = {
      schema: "public",
      tables: Array.from({ length: 10_000 }, (_, i) => table(`t${i}`)),
      enums: {},
    };
    let hint = "";
    try {
      parseWherePredicate("Shelf: true", wide);
    } catch (error) {
      hint = (error as { hint: string }).hint;
    }
    expect(hint).toMatch(/^Tables: t0, t1, .* t29 … and 9970 more\.$/);
  });
});
