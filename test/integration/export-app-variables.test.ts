import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { ExitCode } from "../../src/errors.js";
import { runInProcess } from "../fault/in-process-cli.js";
import { runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

/**
 * The app keeps its production URL in `.env.production` as DEWEY_DB_DATABASE_URL. export reads
 * DEWEY_DB_DATABASE_URL_READONLY first and falls back to the app's name, saying so.
 */
describe("export with the app's own variable names", () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.withClient((c) => loadLibrary(c, generateLibrary({ users: 2, books: 4 })));
    dir = await mkdtemp(join(tmpdir(), "booksnap-appvars-"));
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const envFile = async (name: string, text: string) => {
    await writeFile(join(dir, name), text, { mode: 0o600 });
    // In-process runs resolve --env-file against the test's own working directory.
    return join(dir, name);
  };

  it("`booksnap export --env-file .env.production` works with only DEWEY_DB_DATABASE_URL, and says it used it", async () => {
    const production = await envFile(".env.production", `DEWEY_DB_DATABASE_URL=${db.url}\n`);
    const run = await runBooksnap(["export", "--env-file", ".env.production", "--name", "app"], { cwd: dir });
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(run.stdout).toContain("exported");
    expect(run.stderr).toContain(
      "reading the source URL from DEWEY_DB_DATABASE_URL (DEWEY_DB_DATABASE_URL_READONLY is not set)",
    );

    const json = await runInProcess(["export", "--env-file", production, "--name", "app2", "--json"], {
      cwd: dir,
    });
    expect(json.code, json.stderr).toBe(ExitCode.ok);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, sourceUrlFrom: "DEWEY_DB_DATABASE_URL" });
    expect(json.stderr).toContain("DEWEY_DB_DATABASE_URL_READONLY is not set");
  });

  it("prefers DEWEY_DB_DATABASE_URL_READONLY when both are set, silently", async () => {
    const both = await envFile(
      ".env.both",
      `DEWEY_DB_DATABASE_URL=postgresql://nobody@127.0.0.1:1/none\nDEWEY_DB_DATABASE_URL_READONLY=${db.url}\n`,
    );
    const run = await runInProcess(["export", "--env-file", both, "--name", "both", "--json"], {
      cwd: dir,
    });
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(JSON.parse(run.stdout).sourceUrlFrom).toBe("DEWEY_DB_DATABASE_URL_READONLY");
    expect(run.stderr).not.toContain("reading the source URL from");
  });

  it("an explicit --from-env never falls back; with neither variable the error names both", async () => {
    const appOnly = await envFile(".env.apponly", `DEWEY_DB_DATABASE_URL=${db.url}\n`);
    const explicit = await runInProcess(
      ["export", "--env-file", appOnly, "--from-env", "DEWEY_DB_DATABASE_URL_READONLY", "--json"],
      { cwd: dir },
    );
    expect(explicit.code).toBe(ExitCode.usage);
    expect(JSON.parse(explicit.stdout).error.code).toBe("E_NO_URL");

    const empty = await envFile(".env.empty", "OTHER=1\n");
    const neither = await runInProcess(["export", "--env-file", empty, "--json"], { cwd: dir });
    expect(neither.code).toBe(ExitCode.usage);
    const error = JSON.parse(neither.stdout).error;
    expect(error.code).toBe("E_NO_URL");
    expect(error.message).toContain("DEWEY_DB_DATABASE_URL_READONLY");
    expect(error.message).toContain("DEWEY_DB_DATABASE_URL.");
  });

  it("the app's Accelerate URL is refused with how to get a direct connection, without leaking its key", async () => {
    const apiKey = "eyJhbGciOiJIUzI1NiJ9.accelerate-secret-key";
    const accelerate = await envFile(
      ".env.accelerate",
      `DEWEY_DB_DATABASE_URL="prisma+postgres://accelerate.prisma-data.net/?api_key=${apiKey}"\n`,
    );
    for (const args of [
      ["export", "--env-file", accelerate],
      ["export", "--from-env", "X"],
    ]) {
      const run = await runInProcess(args, {
        cwd: dir,
        env: { X: `prisma://accelerate.prisma-data.net/?api_key=${apiKey}` },
      });
      expect(run.code).toBe(ExitCode.usage);
      expect(run.stderr).toContain("[E_DIRECT_CONNECTION_NEEDED]");
      expect(run.stderr).toContain("direct postgres:// connection string");
      expect(run.stderr).toContain("docs/readonly-role.md");
      expect(run.stderr).toContain("DEWEY_DB_DATABASE_URL_READONLY");
      expect(run.stderr + run.stdout).not.toContain(apiKey);
    }
  });
});
