import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import type { BooksnapError } from "../../src/errors.js";
import { lexicalProblem } from "../../src/export/where-predicate.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { inReadOnlySnapshot, subsetOf } from "../helpers/subset.js";

/**
 * A --where predicate is one expression, yet set_config(…, false) changes the session for every
 * later statement of the export transaction (role, search_path, TimeZone…), and the lexical check
 * must split the text as this server does. Each case failed (was accepted) before the fix.
 */
describe("--where cannot change the export session or slip past the lexical check", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.withClient((c) => loadLibrary(c, generateLibrary({ users: 2, books: 10 })));
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function whereOutcome(where: string, setup?: string): Promise<BooksnapError | number> {
    return inReadOnlySnapshot(db.url, async (c) => {
      if (setup) await c.query(setup);
      return subsetOf(c, { where: [where] }).then(
        ({ subset }) => subset?.table("Book").count ?? -1,
        (error: unknown) => error as BooksnapError,
      );
    });
  }

  it.each([
    [`set_config('role', 'pg_monitor', false) <> ''`, ["current_user", "role"]],
    [`set_config('search_path', 'pg_temp, pg_catalog', false) <> ''`, ["search_path"]],
    [`set_config('TimeZone', 'America/New_York', true) <> ''`, ["TimeZone"]],
    [`set_config('DateStyle', 'SQL, DMY', false) <> ''`, ["DateStyle"]],
    [`set_config('extra_float_digits', '0', false) <> ''`, ["extra_float_digits"]],
    [`set_config('statement_timeout', '0', false) <> ''`, ["statement_timeout"]],
    [`set_config('default_transaction_read_only', 'off', false) <> ''`, ["default_transaction_read_only"]],
    [`set_config('standard_conforming_strings', 'off', false) <> ''`, ["standard_conforming_strings"]],
    [`pg_advisory_lock(4242) IS NOT NULL`, ["advisory locks held"]],
  ])("%s is refused as E_BAD_WHERE naming what it changed", async (predicate, changed) => {
    // As export's session has it: default_transaction_read_only on (a predicate turning it off would
    // leave later transactions on a reused connection writable).
    const outcome = await whereOutcome(
      `Book: ${predicate}`,
      "SET LOCAL statement_timeout = '30s'; SET LOCAL default_transaction_read_only = on",
    );
    expect(outcome).toMatchObject({ code: "E_BAD_WHERE", exitCode: 2, details: { changed } });
    expect((outcome as BooksnapError).message).toContain("a predicate may only read");
  });

  it("a predicate that only reads (functions, subqueries, current_setting) is accepted", async () => {
    const count = await whereOutcome(
      `Book: current_setting('TimeZone') = 'UTC' AND "ownerId" IN (SELECT id FROM "User") AND lower(title) <> ''`,
      "SET LOCAL TimeZone = 'UTC'",
    );
    expect(count).toBe(10);
  });

  it("statement_timeout bounds a predicate that sleeps (57014, not a predicate error)", async () => {
    const started = Date.now();
    const outcome = await whereOutcome(`Book: pg_sleep(30) IS NOT NULL`, "SET LOCAL statement_timeout = 300");
    expect(outcome).toMatchObject({ code: "57014" });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("a -- comment ends at a carriage return, as PostgreSQL's lexer ends it", async () => {
    const breakout = `false --\r) OR (true`;
    expect(lexicalProblem(breakout)).toMatchObject({ position: 10 });
    expect(await whereOutcome(`Book: ${breakout}`)).toMatchObject({
      code: "E_BAD_WHERE",
      details: { position: 10 },
    });
  });

  it("a non-ASCII letter continues an identifier: é$$ is no dollar quote, éE'…' no breakout string", () => {
    expect(lexicalProblem(`é$$ ) OR ( $$ = ''`)).toMatchObject({ position: 5 });
    expect(lexicalProblem(`title = éE'\\' ) OR (true '`)).toMatchObject({ position: 15 });
  });

  it("with standard_conforming_strings off, '\\'' is read as the server reads it", async () => {
    // scs on: '\' then a string holding ") OR (true --"; scs off: the first string runs on and ')' escapes.
    const breakout = `title = '\\' AND title = ') OR (true --'`;
    expect(lexicalProblem(breakout)).toBeUndefined();
    expect(await whereOutcome(`Book: ${breakout}`)).toBe(0);
    const off = await whereOutcome(`Book: ${breakout}`, "SET LOCAL standard_conforming_strings = off");
    expect(off).toMatchObject({ code: "E_BAD_WHERE", details: { position: 26 } });
  });
});
