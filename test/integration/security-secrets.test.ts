import { randomBytes } from "node:crypto";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { FaultProxy } from "../fault/proxy.js";
import { createPreparedTarget } from "../fault/targets.js";
import { type CliRun, runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase, withAdmin } from "../helpers/db.js";

/**
 * No credential ever reaches stdout, stderr (including --verbose traces), audit logs, manifests,
 * snapshots or dead-letter files — across export, verify and import, successful and failing runs,
 * and runs whose connection is cut mid-stream. Every run's URL holds a known password (and the
 * same secret as an api_key parameter); the scan below reads everything the runs produced.
 */
const PASSWORD = `S3cr3t-${randomBytes(6).toString("hex")}`;
const PASSPHRASE = `passphrase-${randomBytes(6).toString("hex")}`;
const corpus = join(dirname(fileURLToPath(import.meta.url)), "..", "corpus", "cases");

let source: TestDatabase;
let target: TestDatabase;
let work: string;
const role = `booksnap_secret_${randomBytes(4).toString("hex")}`;
const runs: { label: string; run: CliRun }[] = [];
let keysDir: string;
/** The private keys keygen wrote (read back from its files): they must appear nowhere else. */
const identities: string[] = [];

function urlFor(
  db: TestDatabase,
  overrides: { port?: string; database?: string; host?: string } = {},
): string {
  const url = new URL(db.url);
  url.username = role;
  url.password = PASSWORD;
  if (overrides.host) url.hostname = overrides.host;
  if (overrides.port) url.port = overrides.port;
  url.pathname = `/${overrides.database ?? db.name}`;
  url.search = `?api_key=${PASSWORD}`;
  return url.toString();
}

/** `import snapshots/plain --to <url> --yes …flags`: the plain snapshot into a database, no prompts. */
const importPlain = (url: string, ...flags: string[]) => [
  "import",
  "snapshots/plain",
  "--to",
  url,
  "--yes",
  ...flags,
];

async function record(label: string, args: string[], env: Record<string, string> = {}) {
  const run = await runBooksnap(args, { cwd: work, env });
  runs.push({ label, run });
  return run;
}

async function grantAll(db: TestDatabase) {
  await db.withClient(async (c) => {
    await c.query(`GRANT ALL ON SCHEMA public TO ${role}`);
    await c.query(`GRANT CREATE ON DATABASE ${db.name} TO ${role}`);
    await c.query(`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${role}`);
    await c.query(`GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
  });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "booksnap-secrets-"));
  await withAdmin((c) => c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}'`));
  source = await createTestDatabase();
  await source.withClient((c) => loadLibrary(c, generateLibrary({ users: 2, books: 40, seed: 51 })));
  target = await createPreparedTarget();
  await grantAll(source);
  await grantAll(target);
  // Import creates its staging schema and takes over the tables: let the role own them.
  await target.withClient(async (c) => {
    for (const table of ["User", "Book", "ReadingList", "BookInReadingList"]) {
      await c.query(`ALTER TABLE "${table}" OWNER TO ${role}`);
    }
  });

  const src = urlFor(source);
  const dst = urlFor(target);
  await writeFile(
    join(work, ".env"),
    `DEWEY_DB_DATABASE_URL=${dst}\nDEWEY_DB_DATABASE_URL_READONLY=${src}\n`,
  );

  // Export: plain and encrypted, from env and env file.
  await record("export", ["export", "--name", "plain", "--json"], { DEWEY_DB_DATABASE_URL_READONLY: src });
  await record("export --encrypt", ["export", "--env-file", ".env", "--name", "enc", "--encrypt"], {
    BOOKSNAP_PASSPHRASE: PASSPHRASE,
  });
  // Verify: ok, wrong passphrase, verbose.
  await record("verify", ["verify", "snapshots/plain", "--verbose"]);
  await record("verify wrong passphrase", ["verify", "snapshots/enc", "--verbose"], {
    BOOKSNAP_PASSPHRASE: "nope",
  });
  // Import: success (env, env file, JSON, dry run), encrypted, rejects, failures.
  await record("import", ["import", "snapshots/plain", "--yes", "--json"], { DEWEY_DB_DATABASE_URL: dst });
  await record("import --dry-run", ["import", "snapshots/plain", "--env-file", ".env", "--dry-run", "--yes"]);
  await record("import encrypted", ["import", "snapshots/enc", "--to", dst, "--yes", "--verbose"], {
    BOOKSNAP_PASSPHRASE: PASSPHRASE,
  });
  await cp(join(corpus, "several-bad-records"), join(work, "bad"), { recursive: true });
  await record("import rejects", ["import", "bad/snap", "--to", dst, "--yes", "--verbose"]);
  // Machine and verbose modes (human mode prints a subset of verbose).
  for (const flags of [["--json"], ["--verbose"]]) {
    await record("import no such db", importPlain(urlFor(target, { database: "booksnap_nope" }), ...flags));
    await record("import port 1", importPlain(urlFor(target, { port: "1" }), ...flags));
    await record("import remote", importPlain(urlFor(target, { host: "prod.example.com" }), ...flags));
  }
  await record("import into source", importPlain(src, "--verbose"));
  // Connection cut mid-stream, with traces.
  const proxy = await FaultProxy.forUrl(target.url);
  try {
    // Cut while the target's schema is read (an error with a driver stack trace under --verbose).
    void proxy.arm({ direction: "toClient", afterBytes: 1000, action: "cut" });
    await record("import cut at setup", importPlain(proxy.url(dst), "--verbose"));
    // Cut mid-staging without retries: a connection error that leaves a resumable import.
    void proxy.arm({ direction: "toServer", afterBytes: 40_000, action: "cut" });
    await record("import cut", importPlain(proxy.url(dst), "--verbose", "--max-retries", "0"));
    // Resumed, with another cut that is retried.
    void proxy.arm({ direction: "toServer", afterBytes: 10_000, action: "cut" });
    await record(
      "import cut resumed",
      importPlain(proxy.url(dst), "--resume", "--verbose", "--retry-delay", "10"),
    );
  } finally {
    await proxy.close();
  }
});
// A hook of its own: these runs need their own time budget.
beforeAll(async () => {
  const dst = urlFor(target);
  // age recipients: keys made by keygen in a config directory outside the scanned work directory.
  keysDir = await mkdtemp(join(tmpdir(), "booksnap-secrets-keys-"));
  const keyEnv = { XDG_CONFIG_HOME: keysDir };
  const keygen = await record("keygen", ["keygen", "--json"], keyEnv);
  const publicKey = String(JSON.parse(keygen.stdout).publicKey);
  await record("keygen other", ["keygen", "--out", join(keysDir, "other.txt")]);
  await record("export --recipient", [
    "export",
    "--env-file",
    ".env",
    "--name",
    "age",
    "--recipient",
    publicKey,
  ]);
  await record("verify identity", ["verify", "snapshots/age", "--verbose"], keyEnv);
  await record(
    "verify wrong identity",
    ["verify", "snapshots/age", "--verbose", "--identity", join(keysDir, "other.txt")],
    keyEnv,
  );
  await record("import identity", [
    ...["import", "snapshots/age", "--to", dst, "--yes", "--verbose"],
    ...["--identity", join(keysDir, "booksnap", "key.txt")],
  ]);
  for (const file of [join(keysDir, "booksnap", "key.txt"), join(keysDir, "other.txt")]) {
    identities.push(
      ...(await readFile(file, "utf8")).split("\n").filter((l) => l.startsWith("AGE-SECRET-KEY-")),
    );
  }
});
afterAll(async () => {
  await source?.drop();
  await target?.drop();
  await withAdmin((c) => c.query(`DROP ROLE IF EXISTS ${role}`));
  if (work) await rm(work, { recursive: true, force: true });
  if (keysDir) await rm(keysDir, { recursive: true, force: true });
});

/** Every file the runs left in the working directory (snapshots, manifests, rejects, logs), as text. */
async function producedFiles(): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  for (const entry of await readdir(work, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || entry.name === ".env") continue;
    const path = join(entry.parentPath, entry.name);
    out.push({ path, text: await readFile(path, "latin1") });
  }
  return out;
}

describe("no credential leaks (export, verify, import; success, failure, faults)", () => {
  it("the runs did what they should, so the scan covers real successes and real failures", () => {
    const codes = Object.fromEntries(runs.map(({ label, run }) => [label, run.code]));
    const stderr = (label: string) => runs.find((r) => r.label === label)?.run.stderr ?? "";
    expect(codes.export, stderr("export")).toBe(0);
    expect(codes["export --encrypt"], stderr("export --encrypt")).toBe(0);
    expect(codes.verify, stderr("verify")).toBe(0);
    expect(codes["verify wrong passphrase"], stderr("verify wrong passphrase")).toBe(4);
    expect(codes.import, stderr("import")).toBe(0);
    expect(codes["import --dry-run"], stderr("import --dry-run")).toBe(0);
    expect(codes["import encrypted"], stderr("import encrypted")).toBe(0);
    expect(codes["import rejects"], stderr("import rejects")).toBe(6);
    expect(codes["import no such db"], stderr("import no such db")).toBe(3);
    expect(codes["import port 1"], stderr("import port 1")).toBe(3);
    expect(codes["import remote"], stderr("import remote")).toBe(2);
    expect(codes["import into source"], stderr("import into source")).toBe(2);
    expect(codes["import cut"], stderr("import cut")).toBe(3);
    expect(codes["import cut resumed"], stderr("import cut resumed")).toBe(0);
    expect(codes.keygen, stderr("keygen")).toBe(0);
    expect(codes["export --recipient"], stderr("export --recipient")).toBe(0);
    expect(codes["verify identity"], stderr("verify identity")).toBe(0);
    expect(codes["verify wrong identity"], stderr("verify wrong identity")).toBe(4);
    expect(codes["import identity"], stderr("import identity")).toBe(0);
    expect(identities).toHaveLength(2);
    expect(runs.length).toBeGreaterThanOrEqual(24);
  });

  it("no stdout or stderr (verbose traces included) holds the password, the passphrase or an age identity", () => {
    for (const { label, run } of runs) {
      for (const text of [run.stdout, run.stderr]) {
        expect(text, label).not.toContain(PASSWORD);
        expect(text, label).not.toContain(encodeURIComponent(PASSWORD));
        expect(text, label).not.toContain(PASSPHRASE);
        for (const identity of identities) expect(text, label).not.toContain(identity);
        expect(text, label).not.toMatch(/AGE-SECRET-KEY-/i);
      }
    }
  });

  it("no manifest, snapshot, dead-letter file or audit log holds them either", async () => {
    const files = await producedFiles();
    const names = files.map((f) => f.path.slice(work.length + 1));
    expect(names).toEqual(
      expect.arrayContaining([
        "logs/audit.ndjson",
        "snapshots/plain.manifest.json",
        "snapshots/enc.manifest.json",
        "snapshots/age.manifest.json",
        "bad/snap.rejects.ndjson",
      ]),
    );
    for (const { path, text } of files) {
      expect(text, path).not.toContain(PASSWORD);
      expect(text, path).not.toContain(PASSPHRASE);
      for (const identity of identities) expect(text, path).not.toContain(identity);
      expect(text, path).not.toMatch(/AGE-SECRET-KEY-/i);
    }
    // The audit log names every database it touched (host:port/database), one line per run.
    const audit = files.find((f) => f.path.endsWith("audit.ndjson"))?.text ?? "";
    expect(audit).toContain(`/${target.name}`);
    // Runs that write no audit record (verify, keygen): eight of them.
    expect(audit.trim().split("\n").length).toBeGreaterThanOrEqual(runs.length - 8);
  });
});
