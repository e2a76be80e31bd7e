import { describe, expect, it } from "vitest";
import { lexicalProblem, parseWherePredicate } from "../../src/export/where-predicate.js";
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
});
