import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { addUser, collect, importInto, makeSnapshot, useImportSetup } from "./import-support.js";

/**
 * The app finds users by their Clerk id, so the dev user should be one made by signing up.
 * booksnap says so, accepts the old script's --user-id, and explains what --create-user leaves.
 */
const setup = useImportSetup();

describe("the dev user the app can use", () => {
  it("with no user yet, says to sign up in the app first, then import with --user", async () => {
    const { db, dir } = await setup();
    const { paths } = await makeSnapshot(dir, "lib", await collect({ users: 1, books: 3, seed: 5 }));
    const run = await importInto(paths.manifestPath, db.url, "--json");
    expect(run.code).toBe(ExitCode.usage);
    const error = run.json().error as { code: string; hint: string };
    expect(error.code).toBe("E_NO_USERS");
    expect(error.hint).toContain("Sign up in the app first");
    expect(error.hint).toContain("--user you@example.com");
    const missing = await importInto(paths.manifestPath, db.url, "--user", "me@example.com", "--json");
    expect((missing.json().error as { hint: string }).hint).toContain("Sign up in the app first");
  });

  it("accepts --user-id N as the old script's spelling of --user N, and refuses what it cannot mean", async () => {
    const { db, dir } = await setup();
    const { paths } = await makeSnapshot(dir, "lib", await collect({ users: 1, books: 3, seed: 6 }));
    const second = await db.withClient(async (c) => {
      await addUser(c, "first@example.com");
      return addUser(c, "second@example.com");
    });
    const run = await importInto(paths.manifestPath, db.url, `--user-id=${second}`, "--json");
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(run.json().user).toMatchObject({ id: second, email: "second@example.com", created: false });

    const email = await importInto(paths.manifestPath, db.url, "--user-id", "second@example.com", "--json");
    expect(email.code).toBe(ExitCode.usage);
    expect((email.json().error as { code: string }).code).toBe("E_BAD_SETTING");
    const both = await importInto(
      paths.manifestPath,
      db.url,
      "--user",
      "1",
      "--user-id",
      String(second),
      "--json",
    );
    expect(both.code).toBe(ExitCode.usage);
  });

  it("--create-user says plainly that the new user cannot sign in, and how to link it", async () => {
    const { db, dir } = await setup();
    const { paths } = await makeSnapshot(dir, "lib", await collect({ users: 1, books: 3, seed: 7 }));
    const run = await importInto(paths.manifestPath, db.url, "--create-user", "me@dev.local", "--json");
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    const { id } = run.json().user as { id: number };
    expect(run.stderr).toContain("nobody can sign in as it through the app");
    expect(run.stderr).toContain(`UPDATE "User" SET "clerkId" = 'user_…' WHERE id = ${id};`);
    // Linking as described is what the app needs: it finds the user by that Clerk id.
    await db.withClient((c) => c.query(`UPDATE "User" SET "clerkId" = 'user_2abc' WHERE id = $1`, [id]));
    const found = await db.withClient((c) =>
      c.query(`SELECT email FROM "User" WHERE "clerkId" = 'user_2abc'`),
    );
    expect(found.rows).toEqual([{ email: "me@dev.local" }]);

    const dry = await importInto(
      paths.manifestPath,
      db.url,
      "--create-user",
      "other@dev.local",
      "--dry-run",
      "--yes",
    );
    expect(dry.stderr).not.toContain("nobody can sign in");
  });
});
