import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";

/**
 * A real S3 HTTP endpoint on loopback for the store tests: `moto_server` (Python package moto),
 * one per test file on a free port, killed afterwards. No SDK mocks: requests are signed, sent
 * over HTTP and answered by an S3 implementation.
 */
// The SDK's "Node 22 soon" notice is noise in test output (the CLI silences it the same way).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export const MOTO_SERVER = process.env.MOTO_SERVER ?? findOnPath("moto_server");

/** Test credentials: moto accepts any; the secret and token are what the leak scans look for. */
export const STORE_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: "AKIATESTBOOKSNAP0001",
  AWS_SECRET_ACCESS_KEY: "booksnapTestSecretKey/6f1c9a2e8d7b4c3a0f5e1d2c3b4a5968",
  AWS_SESSION_TOKEN: "booksnapTestSessionToken+FwoGZXIvYXdzEJr//////////wEaDH",
  AWS_REGION: "us-east-1",
} as const;

export interface MotoStore {
  endpoint: string;
  port: number;
  /** A client straight to moto (no fault proxy), for the tests' own checks. */
  client: S3Client;
  /** Environment for a CLI run against this store. */
  env: Record<string, string>;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

function findOnPath(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? "").split(":"), "/root/.pyenv/shims", "/usr/local/bin"]) {
    if (dir && existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

export function storeClient(endpoint: string, maxAttempts = 3): S3Client {
  return new S3Client({
    endpoint,
    region: STORE_CREDENTIALS.AWS_REGION,
    forcePathStyle: true,
    maxAttempts,
    credentials: {
      accessKeyId: STORE_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: STORE_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      sessionToken: STORE_CREDENTIALS.AWS_SESSION_TOKEN,
    },
  });
}

/** Starts moto_server on a free loopback port and waits until it answers. */
export async function startMoto(options: { enforceAuth?: boolean } = {}): Promise<MotoStore> {
  if (!MOTO_SERVER) {
    throw new Error("moto_server not found: install it with `pip install 'moto[server]'` (see .ci/run)");
  }
  const port = await freePort();
  const child: ChildProcess = spawn(MOTO_SERVER, ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: "ignore",
    // enforceAuth: moto checks access keys (unknown ones get InvalidAccessKeyId), as AWS does.
    env: {
      ...process.env,
      MOTO_ALLOW_NONEXISTENT_REGION: "true",
      ...(options.enforceAuth ? { INITIAL_NO_AUTH_ACTION_COUNT: "0" } : {}),
    },
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    // Any HTTP answer means it is up (with enforceAuth, an unsigned request gets 403).
    const up = await fetch(`${endpoint}/`).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`moto_server did not start on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const client = storeClient(endpoint);
  return {
    endpoint,
    port,
    client,
    env: { ...STORE_CREDENTIALS, BOOKSNAP_S3_ENDPOINT: endpoint },
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    stop: async () => {
      client.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
