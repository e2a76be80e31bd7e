import { describe, expect, it } from "vitest";
import type { ListedSnapshot } from "../../src/list.js";
import { parseAge, planPrune } from "../../src/store/retention.js";

const DAY = 86_400;
const snap = (
  name: string,
  ageDays: number,
  state: ListedSnapshot["state"] = "manifest-ok",
): ListedSnapshot => ({
  name,
  manifestPath: `s3://b/p/${name}.manifest.json`,
  dataPath: `s3://b/p/${name}.ndjson.zst`,
  state,
  createdAt: new Date(Date.UTC(2026, 11, 1) - ageDays * DAY * 1000).toISOString(),
  ageSeconds: ageDays * DAY,
});
const names = (list: ListedSnapshot[]) => list.map((s) => s.name);

describe("planPrune", () => {
  const listed = [snap("d", 40), snap("a", 1), snap("c", 20), snap("b", 5)];

  it("--keep N keeps the newest N complete snapshots", () => {
    const plan = planPrune(listed, { keep: 2 });
    expect(names(plan.keep)).toEqual(["a", "b"]);
    expect(names(plan.remove)).toEqual(["c", "d"]);
  });

  it("--older-than removes old ones but never the newest complete snapshot", () => {
    expect(names(planPrune(listed, { olderThanSeconds: 10 * DAY }).remove)).toEqual(["c", "d"]);
    expect(names(planPrune(listed, { olderThanSeconds: 0 }).remove)).toEqual(["b", "c", "d"]);
    const onlyOld = [snap("x", 100)];
    expect(names(planPrune(onlyOld, { olderThanSeconds: DAY }).remove)).toEqual([]);
  });

  it("both rules: removed only when outside the newest N and older than the age", () => {
    expect(names(planPrune(listed, { keep: 1, olderThanSeconds: 10 * DAY }).remove)).toEqual(["c", "d"]);
  });

  it("leaves incomplete or damaged snapshots alone and does not count them as the one to keep", () => {
    const withBroken = [
      snap("new-broken", 0, "data-missing"),
      snap("old", 50),
      snap("bad", 60, "manifest-invalid"),
    ];
    const plan = planPrune(withBroken, { keep: 1, olderThanSeconds: 0 });
    expect(names(plan.remove)).toEqual([]);
    expect(names(plan.keep)).toEqual(["old"]);
    expect(names(plan.ignored)).toEqual(["new-broken", "bad"]);
  });

  it("refuses to run without a rule, and --keep 0 still keeps one", () => {
    expect(() => planPrune(listed, {})).toThrow(/--keep N and\/or --older-than/);
    expect(names(planPrune(listed, { keep: 0 }).keep)).toEqual(["a"]);
  });
});

describe("parseAge", () => {
  it("reads number + unit", () => {
    expect(parseAge("30d")).toBe(30 * DAY);
    expect(parseAge("12h")).toBe(12 * 3600);
    expect(parseAge("2w")).toBe(14 * DAY);
  });
  it("refuses anything else", () => {
    for (const bad of ["30", "d", "-1d", "1.5d", "1y"]) expect(() => parseAge(bad)).toThrow(/not an age/);
  });
});
