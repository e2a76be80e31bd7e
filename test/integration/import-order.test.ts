import { describe, expect, it } from "vitest";
import { runBooksnap } from "../helpers/cli.js";
import {
  addUser,
  collect,
  importInto,
  lineOf,
  makeSnapshot,
  stagingExists,
  tableCounts,
  useImportSetup,
} from "./import-support.js";

const setup = useImportSetup();

describe("record order", () => {
  it("ids going down within a model: import refuses the file like verify does (exit 4), nothing written", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 1, books: 8, seed: 61 });
    // Swap two books: every record is valid and every id unique, but 5 now comes after 6.
    const at = (id: number) => records.findIndex((r) => r.model === "Book" && r.record.id === id);
    const [five, six] = [at(5), at(6)];
    [records[five], records[six]] = [
      records[six] as (typeof records)[number],
      records[five] as (typeof records)[number],
    ];
    const { paths } = await makeSnapshot(dir, "lib", records);
    await db.withClient((c) => addUser(c, "dev@example.com"));
    const before = await db.withClient(tableCounts);

    const run = await importInto(paths.manifestPath, db.url, "--yes", "--json");
    expect(run.code, run.stderr).toBe(4);
    const error = run.json().error as { code: string; message: string };
    expect(error.code).toBe("E_RECORD_ORDER");
    expect(error.message).toContain(`Line ${lineOf(records, "Book", 5)}`);
    expect(error.message).toContain("id: 5 is not greater than the previous Book id 6");
    expect(await db.withClient(tableCounts)).toEqual(before);
    expect(await stagingExists(db)).toBe(false);

    const verify = await runBooksnap(["verify", paths.manifestPath]);
    expect(verify.code).toBe(4);
    expect(verify.stderr).toContain("E_RECORD_ORDER");
  });
});
