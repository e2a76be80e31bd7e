import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBooksnap } from "../helpers/cli.js";
import { startTlsServer, type TlsServer } from "../helpers/tls.js";

/** import and prepare share export's connection flags, --tls-ca included (src/cli/connection-options.ts). */
describe("--tls-ca on the target commands", () => {
  let server: TlsServer;
  let dir: string;
  const commands = {
    import: ["import", "--abort"],
    prepare: ["prepare", "--no-create-database"],
  } as const;
  const run = (command: keyof typeof commands, flags: string[]) =>
    runBooksnap([...commands[command], "--to-env", "DST", ...flags], {
      cwd: dir,
      env: { DST: server.url, PGSSLROOTCERT: undefined },
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "booksnap-tls-ca-"));
    server = await startTlsServer();
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(Object.keys(commands) as (keyof typeof commands)[])(
    "%s --tls verify-full trusts the CA given with --tls-ca, and only that one",
    async (command) => {
      const trusted = await run(command, ["--tls", "verify-full", "--tls-ca", server.certs.caPath]);
      expect(trusted.stderr).toBe("");
      expect(trusted.code).toBe(0);
      const other = await run(command, ["--tls", "verify-full", "--tls-ca", server.certs.otherCaPath]);
      expect(other.code).toBe(3);
      expect(other.stderr).toContain("[E_TLS]");
    },
  );

  it.each(Object.keys(commands) as (keyof typeof commands)[])(
    "%s refuses --tls-ca without verify-full, and a file that is not a PEM certificate (exit 2 E_TLS_CA)",
    async (command) => {
      const unverified = await run(command, ["--tls", "require", "--tls-ca", server.certs.caPath]);
      expect(unverified.code).toBe(2);
      expect(unverified.stderr).toContain("[E_TLS_CA]");
      await writeFile(join(dir, "not-a-cert.pem"), "hello\n");
      const junk = await run(command, ["--tls", "verify-full", "--tls-ca", "not-a-cert.pem"]);
      expect(junk.code).toBe(2);
      expect(junk.stderr).toContain("[E_TLS_CA]");
    },
  );
});
