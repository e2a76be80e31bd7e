import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { inReadOnlySnapshot, selectedValues, subsetOf } from "../helpers/subset.js";

/**
 * A schema that is not the book app: a self-referencing chain (Employee.managerId), a uuid key,
 * a composite key, a foreign key onto a non-key unique column, a table without a primary key,
 * and owners (Company) named by a text code.
 */
const SCHEMA = `
CREATE TABLE "Company" (id serial PRIMARY KEY, code text NOT NULL UNIQUE, contact text);
CREATE TABLE "Department" (id serial PRIMARY KEY, name text NOT NULL UNIQUE, "companyId" int REFERENCES "Company"(id));
CREATE TABLE "Employee" (
  id serial PRIMARY KEY, name text NOT NULL,
  "managerId" int REFERENCES "Employee"(id),
  "departmentName" text REFERENCES "Department"(name)
);
CREATE TABLE "Project" (id uuid PRIMARY KEY, title text NOT NULL, "companyId" int NOT NULL REFERENCES "Company"(id));
CREATE TABLE "Assignment" (
  "employeeId" int NOT NULL REFERENCES "Employee"(id),
  "projectId" uuid NOT NULL REFERENCES "Project"(id),
  role text NOT NULL,
  PRIMARY KEY ("employeeId", "projectId")
);
CREATE TABLE "Note" (body text, "projectId" uuid REFERENCES "Project"(id));
CREATE TABLE "Milestone" (id serial PRIMARY KEY, "projectId" uuid NOT NULL REFERENCES "Project"(id), "afterId" int REFERENCES "Milestone"(id));

INSERT INTO "Company" (id, code) VALUES (1, 'acme'), (2, 'globex');
INSERT INTO "Department" (id, name, "companyId") VALUES (1, 'ops', 1), (2, 'lab', 2), (3, 'idle', NULL);
-- A management chain e1 <- e2 <- ... <- e6, and a separate chain e7 <- e8.
INSERT INTO "Employee" (id, name, "managerId", "departmentName")
  SELECT g, 'e' || g, CASE WHEN g = 1 OR g = 7 THEN NULL ELSE g - 1 END, CASE WHEN g <= 3 THEN 'ops' WHEN g <= 6 THEN 'lab' END
  FROM generate_series(1, 8) g;
-- A cycle in the data: e9 and e10 manage each other.
INSERT INTO "Employee" (id, name) VALUES (9, 'e9'), (10, 'e10');
UPDATE "Employee" SET "managerId" = 10 WHERE id = 9;
UPDATE "Employee" SET "managerId" = 9 WHERE id = 10;
INSERT INTO "Project" (id, title, "companyId") VALUES
  ('00000000-0000-0000-0000-00000000000a', 'alpha', 1), ('00000000-0000-0000-0000-00000000000b', 'beta', 2);
INSERT INTO "Assignment" VALUES
  (6, '00000000-0000-0000-0000-00000000000b', 'lead'), (8, '00000000-0000-0000-0000-00000000000a', 'member'),
  (2, '00000000-0000-0000-0000-00000000000a', 'lead');
INSERT INTO "Note" VALUES ('about alpha', '00000000-0000-0000-0000-00000000000a'), ('about beta', '00000000-0000-0000-0000-00000000000b');
INSERT INTO "Milestone" (id, "projectId", "afterId") VALUES
  (1, '00000000-0000-0000-0000-00000000000a', NULL), (2, '00000000-0000-0000-0000-00000000000a', 1),
  (3, '00000000-0000-0000-0000-00000000000a', 2), (4, '00000000-0000-0000-0000-00000000000b', NULL);
`;

const COMPANY_OWNERS = { table: "Company", idColumn: "id", emailColumn: "code" };
const ALPHA = "00000000-0000-0000-0000-00000000000a";
const BETA = "00000000-0000-0000-0000-00000000000b";

describe("subset selection on a generic schema", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    await db.withClient((c) => c.query(SCHEMA));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("closes a self-referencing chain to its root, and a foreign key onto a unique column", async () => {
    await inReadOnlySnapshot(db.url, async (c) => {
      const { subset } = await subsetOf(c, { where: ["Employee: name = 'e5'"], scope: null });
      if (!subset) throw new Error("expected a subset");
      expect(await selectedValues(c, subset, "Employee")).toEqual([1, 2, 3, 4, 5]);
      expect(await selectedValues(c, subset, "Department", "name")).toEqual(["lab", "ops"]);
      expect(await selectedValues(c, subset, "Company")).toEqual([1, 2]);
      expect(subset.addedByReference).toEqual({ Company: 2, Department: 2, Employee: 4 });
    });
  });

  it("terminates on a reference cycle in the data", async () => {
    await inReadOnlySnapshot(db.url, async (c) => {
      // The book app's owners configuration does not fit this schema: only --owner would need it.
      const { subset } = await subsetOf(c, { where: ["Employee: id = 9"] });
      if (!subset) throw new Error("expected a subset");
      expect(await selectedValues(c, subset, "Employee")).toEqual([9, 10]);
    });
  });

  it("keys rows by composite and uuid primary keys", async () => {
    await inReadOnlySnapshot(db.url, async (c) => {
      const { subset } = await subsetOf(c, { where: [`Assignment: role = 'lead'`], scope: null });
      if (!subset) throw new Error("expected a subset");
      expect(await selectedValues(c, subset, "Assignment", "employeeId")).toEqual([2, 6]);
      expect(await selectedValues(c, subset, "Project")).toEqual([ALPHA, BETA]);
      expect(await selectedValues(c, subset, "Employee")).toEqual([1, 2, 3, 4, 5, 6]);
      const inline = subset.table("Assignment").inlineCondition(null);
      const { rows } = await c.query(`SELECT count(*)::int AS n FROM "Assignment" WHERE ${inline}`);
      expect(rows[0]).toEqual({ n: 2 });
    });
  });

  it("owners: owned rows, children through the foreign keys named in belongsThrough, a table without a primary key", async () => {
    await inReadOnlySnapshot(db.url, async (c) => {
      const scope = {
        ...COMPANY_OWNERS,
        belongsThrough: { Employee: ["departmentName"], Assignment: ["projectId"] },
      };
      const { subset } = await subsetOf(c, { owners: ["1"], scope });
      if (!subset) throw new Error("expected a subset");
      expect(subset.owners).toEqual([{ id: "1", email: "acme" }]);
      expect(await selectedValues(c, subset, "Company")).toEqual([1]);
      expect(await selectedValues(c, subset, "Department", "name")).toEqual(["ops"]);
      expect(await selectedValues(c, subset, "Project")).toEqual([ALPHA]);
      // Children of owned rows (no owner column of their own), transitively and along the self-reference.
      expect(await selectedValues(c, subset, "Milestone")).toEqual([1, 2, 3]);
      expect(await selectedValues(c, subset, "Note", "body")).toEqual(["about alpha"]);
      // Assignments belong to their project; the employees they name (and their managers) follow by reference.
      expect(await selectedValues(c, subset, "Assignment", "employeeId")).toEqual([2, 8]);
      // Employees belong to their department (ops: e1..e3); e8 and its manager e7 come by reference.
      expect(await selectedValues(c, subset, "Employee")).toEqual([1, 2, 3, 7, 8]);
      expect(subset.addedByReference).toEqual({ Employee: 2 });
    });
  });

  it("owners without belongsThrough: a child row belongs through every foreign key, self-references included", async () => {
    await inReadOnlySnapshot(db.url, async (c) => {
      const { subset } = await subsetOf(c, { owners: ["1"], scope: COMPANY_OWNERS });
      if (!subset) throw new Error("expected a subset");
      // e1..e3 are ops'; e4..e6 report to them (managerId), so they are owned too.
      expect(await selectedValues(c, subset, "Employee")).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(await selectedValues(c, subset, "Assignment", "employeeId")).toEqual([2, 6, 8]);
      expect(await selectedValues(c, subset, "Project")).toEqual([ALPHA, BETA]);
      expect(await selectedValues(c, subset, "Company")).toEqual([1, 2]);
      expect(subset.addedByReference).toEqual({ Company: 1, Department: 1, Project: 1, Employee: 2 });
    });
  });
});
