import { execFileSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config-error.js";
import { MAX_CONFIG_BYTES } from "../../src/config/config-file.js";
import { presetProjectConfig, resolveProjectConfig } from "../../src/config/project-config.js";
import { ExitCode } from "../../src/errors.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "booksnap-config-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(content: unknown, name = "booksnap.config.json"): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === "string" ? content : JSON.stringify(content), { mode: 0o644 });
  await chmod(path, 0o644);
  return path;
}

/** The ConfigError a resolve fails with (and its exit code: 2, usage). */
async function configError(options: { path?: string } = {}): Promise<ConfigError> {
  const error = await resolveProjectConfig({ cwd: dir, ...options }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).exitCode).toBe(ExitCode.usage);
  return error as ConfigError;
}

describe("resolveProjectConfig: where the configuration comes from", () => {
  it("uses the built-in book-app configuration when cwd has no file", async () => {
    const config = await resolveProjectConfig({ cwd: dir });
    expect(config.origin).toEqual({ kind: "built-in", preset: "book-app" });
    expect(config.schema).toBe("public");
    expect(config.tables).toEqual({ include: null, exclude: ["_prisma_migrations"] });
    expect(config.owners).toEqual({
      table: "User",
      emailColumn: "email",
      idColumn: "id",
      belongsThrough: { BookInReadingList: ["readingListId"] },
    });
    expect(config.redaction.User?.email).toEqual({ kind: "email", domain: "User.email" });
    expect(config.redaction.User?.clerkId?.kind).toBe("opaqueId");
    expect(config.redaction.User?.createdAt?.kind).toBe("keep");
    expect(config.redaction.AppSettings?.defaultUserClerkId).toEqual({
      kind: "opaqueId",
      domain: "User.clerkId",
    });
    expect(config.identity.Book).toEqual(["isbn13"]);
    expect(config.identity.ReadingList).toEqual(["ownerId", "title", "type", "year"]);
    expect(config.perOwnerRules.map((rule) => [rule.where, rule.uniqueBy])).toEqual([
      [{ type: "FAVORITES_ALL" }, []],
      [{ type: "FAVORITES_YEAR" }, ["year"]],
    ]);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.redaction.User)).toBe(true);
    expect(config).toEqual(presetProjectConfig("book-app"));
  });

  it("a file for another app is the whole configuration: only the engine defaults apply", async () => {
    const path = await writeConfig({
      owners: { table: "accounts", emailColumn: null, idColumn: "account_id" },
      redaction: { accounts: { account_id: "keep", handle: "name" } },
      identity: { widgets: ["sku"] },
    });
    const config = await resolveProjectConfig({ cwd: dir });
    expect(config.origin).toEqual({ kind: "file", path, extends: null });
    expect(config.schema).toBe("public");
    expect(config.tables.exclude).toEqual(["_prisma_migrations"]);
    expect(Object.keys(config.redaction)).toEqual(["accounts"]);
    expect(Object.keys(config.identity)).toEqual(["widgets"]);
    expect(config.perOwnerRules).toEqual([]);
    expect(config.owners).toEqual({ table: "accounts", emailColumn: null, idColumn: "account_id" });
  });

  it("an empty file means no owners table and no rules", async () => {
    await writeConfig({});
    const config = await resolveProjectConfig({ cwd: dir });
    expect(config.owners).toBeNull();
    expect(config.redaction).toEqual({});
    expect(config.perOwnerRules).toEqual([]);
  });

  it('"extends": "book-app" merges: rules per column, identity per table, lists and owners replaced', async () => {
    await writeConfig({
      extends: "book-app",
      schema: "app",
      tables: { exclude: ["_prisma_migrations", "AuditLog"] },
      redaction: { User: { name: "keep", bio: "freeText" } },
      identity: { Book: ["isbn10"] },
      perOwnerRules: [],
    });
    const config = await resolveProjectConfig({ cwd: dir });
    expect(config.origin).toMatchObject({ kind: "file", extends: "book-app" });
    expect(config.schema).toBe("app");
    expect(config.tables.exclude).toEqual(["_prisma_migrations", "AuditLog"]);
    expect(config.redaction.User?.name?.kind).toBe("keep");
    expect(config.redaction.User?.bio?.kind).toBe("freeText");
    expect(config.redaction.User?.email?.kind).toBe("email");
    expect(config.identity.Book).toEqual(["isbn10"]);
    expect(config.identity.ReadingList).toEqual(["ownerId", "title", "type", "year"]);
    expect(config.perOwnerRules).toEqual([]);
    expect(config.owners?.table).toBe("User");
  });

  it("--config PATH is read relative to cwd, and must exist", async () => {
    await mkdir(join(dir, "conf"));
    await writeConfig({ schema: "other" }, "conf/mine.json");
    expect((await resolveProjectConfig({ cwd: dir, path: "conf/mine.json" })).schema).toBe("other");
    const error = await configError({ path: "missing.json" });
    expect(error.code).toBe("E_CONFIG_NOT_FOUND");
  });

  it("names that are Object methods are plain keys (null-prototype records)", async () => {
    await writeConfig({
      redaction: { constructor: { toString: "email" } },
      identity: { hasOwnProperty: ["x"] },
    });
    const config = await resolveProjectConfig({ cwd: dir });
    expect(config.redaction.constructor?.toString).toEqual({ kind: "email", domain: "constructor.toString" });
    expect(config.identity.hasOwnProperty).toEqual(["x"]);
    expect(Object.getPrototypeOf(config.redaction)).toBeNull();
  });
});

describe("resolveProjectConfig: malformed and hostile files", () => {
  it("refuses invalid JSON with its place, never quoting the content", async () => {
    await writeConfig('{\n  "schema": "postgres://admin:hunter2@db/prod" oops\n}');
    const error = await configError();
    expect(error.code).toBe("E_CONFIG_JSON");
    expect(error.message).toMatch(/line 2/);
    expect(error.message).not.toContain("hunter2");
    expect(JSON.stringify(error.details)).not.toContain("hunter2");
  });

  it("refuses an empty file and non-UTF-8 bytes", async () => {
    await writeConfig("");
    expect((await configError()).code).toBe("E_CONFIG_JSON");
    await writeFile(join(dir, "booksnap.config.json"), Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect((await configError()).code).toBe("E_CONFIG_JSON");
  });

  it("reports every schema problem at once: unknown keys, bad kinds, wrong types", async () => {
    await writeConfig({
      shema: "public",
      owners: "postgres://admin:hunter2@db/prod",
      redaction: { User: { email: "hash", name: "name" } },
      tables: { exclude: ["x"], includes: ["y"] },
      perOwnerRules: [
        { table: "ReadingList", owner: "ownerId", where: { type: ["A"] }, uniqueBy: [], extra: 1 },
      ],
    });
    const error = await configError();
    expect(error.code).toBe("E_CONFIG_INVALID");
    const problems = error.details.problems as string[];
    expect(problems.some((p) => p.includes("shema"))).toBe(true);
    expect(problems.some((p) => p.startsWith("owners"))).toBe(true);
    expect(problems.some((p) => p.startsWith("redaction.User.email"))).toBe(true);
    expect(problems.some((p) => p.startsWith("tables") && p.includes("includes"))).toBe(true);
    expect(problems.some((p) => p.startsWith("perOwnerRules[0]") && p.includes("extra"))).toBe(true);
    expect(problems.some((p) => p.startsWith("perOwnerRules[0].where.type"))).toBe(true);
    expect(error.message).not.toContain("hunter2");
    expect(problems.every((p) => !p.includes("redaction.User.name"))).toBe(true);
  });

  it("refuses nesting deep enough to exhaust the stack with a clear error, not a crash", async () => {
    const depth = 40_000;
    await writeConfig(`{"identity": {"a": ${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}}`);
    const error = await configError();
    // Node 20's reviver walk overflows here (E_CONFIG_JSON "nests too deeply"); a runtime that
    // does not overflow reaches the schema, which refuses the shape.
    expect(["E_CONFIG_JSON", "E_CONFIG_INVALID"]).toContain(error.code);
  });

  it("refuses names PostgreSQL could never match, and the __proto__ key", async () => {
    await writeConfig({ identity: { ["T".repeat(64)]: ["id"] } });
    expect((await configError()).message).toMatch(/63 bytes/);
    await writeConfig('{"redaction": {"__proto__": {"email": "keep"}}}');
    expect((await configError()).message).toMatch(/__proto__/);
  });

  it("checks sameAs: the named column needs a rule of the same kind, and no chains", async () => {
    await writeConfig({ redaction: { Settings: { owner: { kind: "opaqueId", sameAs: "User.clerkId" } } } });
    expect((await configError()).message).toMatch(/User\.clerkId has no redaction rule/);
    await writeConfig({
      redaction: {
        User: { clerkId: "email" },
        Settings: { owner: { kind: "opaqueId", sameAs: "User.clerkId" } },
      },
    });
    expect((await configError()).message).toMatch(/differs from User\.clerkId's kind email/);
    await writeConfig({
      redaction: {
        User: { clerkId: "opaqueId" },
        A: { x: { kind: "opaqueId", sameAs: "User.clerkId" } },
        B: { y: { kind: "opaqueId", sameAs: "A.x" } },
      },
    });
    expect((await configError()).message).toMatch(/A\.x itself uses sameAs/);
    await writeConfig({ redaction: { A: { x: { kind: "keep", sameAs: "User.clerkId" } } } });
    expect((await configError()).code).toBe("E_CONFIG_INVALID");
  });

  it("checks per-owner rules and owners for self-contradictions", async () => {
    await writeConfig({
      owners: { table: "U", emailColumn: "id", idColumn: "id" },
      perOwnerRules: [{ table: "L", owner: "ownerId", where: {}, uniqueBy: ["ownerId"] }],
    });
    const problems = (await configError()).details.problems as string[];
    expect(problems).toHaveLength(2);
  });

  it("refuses a file larger than the cap before parsing it", async () => {
    await writeConfig(`{"schema": "${"x".repeat(MAX_CONFIG_BYTES)}"}`);
    expect((await configError()).code).toBe("E_CONFIG_TOO_LARGE");
  });

  it("refuses a symbolic link, even to a good file", async () => {
    const real = await writeConfig({}, "real.json");
    await symlink(real, join(dir, "booksnap.config.json"));
    expect((await configError()).code).toBe("E_CONFIG_SYMLINK");
    await symlink("/dev/zero", join(dir, "zero.json"));
    expect((await configError({ path: "zero.json" })).code).toBe("E_CONFIG_SYMLINK");
  });

  it("refuses a FIFO without blocking, and a directory", async () => {
    execFileSync("mkfifo", [join(dir, "booksnap.config.json")]);
    expect((await configError()).code).toBe("E_CONFIG_NOT_REGULAR_FILE");
    await mkdir(join(dir, "adir"));
    expect((await configError({ path: "adir" })).code).toBe("E_CONFIG_NOT_REGULAR_FILE");
  });

  it("refuses a file other users may write (it decides what is redacted)", async () => {
    const path = await writeConfig({});
    await chmod(path, 0o664);
    expect((await configError()).code).toBe("E_CONFIG_PERMISSIONS");
    await chmod(path, 0o646);
    expect((await configError()).code).toBe("E_CONFIG_PERMISSIONS");
    await chmod(path, 0o600);
    await expect(resolveProjectConfig({ cwd: dir })).resolves.toBeDefined();
  });
});
