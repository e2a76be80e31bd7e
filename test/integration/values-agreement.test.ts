import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ColumnType } from "../../src/schema/description.js";
import { pgFloatText } from "../../src/schema/values/float.js";
import { copyText, renderValueSql, sessionSettingsSql, validateValue } from "../../src/schema/values.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { VALUE_CASE_ENUMS as enums, VALUE_CASES } from "../helpers/value-cases.js";

/**
 * validateValue and PostgreSQL agree on every sample of test/helpers/value-cases.ts: a value is
 * valid exactly when PostgreSQL reads its copyText input and renders it back (renderValueSql,
 * under the export settings) as the same JSON value. So validation neither lets through a value
 * that would fail the load or change, nor refuses one that would round-trip. jsonb compares by
 * value: another spelling of the same jsonb (`"\u00e9"` for `"é"`, keys in another order) loads
 * exactly that value, export only ever writes PostgreSQL's own spelling, and checking that would
 * cost a normalisation of every document.
 */

/** Does the JSON value have the shape the kind is carried in (otherwise there is nothing to ask PostgreSQL)? */
function carriedShape(type: ColumnType, value: unknown): boolean {
  if (type.array) {
    return (
      Array.isArray(value) && value.every((v) => v === null || carriedShape({ ...type, array: false }, v))
    );
  }
  if (type.kind === "int2" || type.kind === "int4") return typeof value === "number";
  if (type.kind === "bool") return typeof value === "boolean";
  return typeof value === "string";
}

async function roundTrip(client: pg.Client, type: ColumnType, sql: string, value: unknown): Promise<unknown> {
  try {
    const result = await client.query<{ out: string }>(
      `SELECT ${renderValueSql(type, `$1::${sql}`)} AS out`,
      [copyText(type, value)],
    );
    return JSON.parse(result.rows[0]?.out as string);
  } catch (error) {
    return { refused: (error as Error).message };
  }
}

/** JSON text with object keys sorted, for comparing jsonb values. */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${sortedJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function sameValue(type: ColumnType, back: unknown, value: unknown): boolean {
  if (type.array) {
    if (!Array.isArray(back) || !Array.isArray(value) || back.length !== value.length) return false;
    const element = { ...type, array: false };
    return back.every((b, i) =>
      b === null ? value[i] === null : value[i] !== null && sameValue(element, b, value[i]),
    );
  }
  if (typeof back !== typeof value) return false;
  if (type.kind === "jsonb")
    return sortedJson(JSON.parse(back as string)) === sortedJson(JSON.parse(value as string));
  return back === value;
}

describe("validateValue agrees with PostgreSQL", () => {
  let db: TestDatabase;
  let serverVersion = 0;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    await db.withClient(async (c) => {
      serverVersion = Number(
        (await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]?.v,
      );
      const labels = enums.mood.map((l) => `'${l.replace(/'/g, "''")}'`).join(", ");
      await c.query(`CREATE TYPE mood AS ENUM (${labels})`);
    });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("prints floats as PostgreSQL does (pgFloatText) across random bit patterns", async () => {
    const random = new DataView(new ArrayBuffer(8));
    let seed = 0x9e3779b9;
    const next = () => {
      seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0;
      return seed;
    };
    const doubles: number[] = [];
    const floats: number[] = [];
    for (let i = 0; i < 5000; i++) {
      random.setUint32(0, next());
      random.setUint32(4, next());
      doubles.push(random.getFloat64(0));
      floats.push(random.getFloat32(4));
    }
    doubles.push(1e15, 1e14, 123456789012345, 0.0001, 0.00009999, 2 ** 53 + 2, 5e-324, -0);
    floats.push(1e6, 999999, 100000, 0.0001, 1.4e-45, 16777216, -0);
    // Where float4 values fall exactly halfway between two shortest decimals (ties go to even).
    for (let i = 0; i < 2000; i++)
      floats.push(2_435_000 + i * 0.25, 8_388_000 + i * 0.5, 0.000_1 + i * 2 ** -20);
    await db.withClient(async (client) => {
      await client.query(sessionSettingsSql());
      for (const [kind, values] of [
        ["float8", doubles],
        ["float4", floats.map(Math.fround)],
      ] as const) {
        const result = await client.query<{ t: string[] }>(
          `SELECT array_agg(x::text ORDER BY n) AS t FROM unnest($1::${kind}[]) WITH ORDINALITY AS u(x, n)`,
          [values.map((v) => (Object.is(v, -0) ? "-0" : String(v)))],
        );
        const printed = result.rows[0]?.t ?? [];
        const mismatches = values
          .map((v, i) => [pgFloatText(v, kind), printed[i]])
          .filter(([ours, theirs]) => ours !== theirs);
        expect(mismatches, kind).toEqual([]);
        expect(printed.length).toBe(values.length);
      }
    });
  });

  for (const c of VALUE_CASES) {
    it(`${c.name} (${c.sql})`, async () => {
      await db.withClient(async (client) => {
        await client.query(sessionSettingsSql());
        const disagreements: string[] = [];
        for (const value of [...c.valid, ...c.invalid]) {
          if (value === null || !carriedShape(c.type, value)) continue;
          const valid = validateValue(c.type, value, enums) === undefined;
          const back = await roundTrip(client, c.type, c.sql, value);
          const exact = sameValue(c.type, back, value);
          // Interval infinities exist from PostgreSQL 17: valid in the format, refused by older servers.
          const tooNew =
            c.type.kind === "interval" && /infinity/.test(String(value)) && serverVersion < 170_000;
          if (valid !== exact && !tooNew) {
            disagreements.push(
              `${JSON.stringify(value)}: validateValue ${valid ? "accepts" : "refuses"}, PostgreSQL gives ${JSON.stringify(back)}`,
            );
          }
        }
        expect(disagreements).toEqual([]);
      });
    });
  }
});
