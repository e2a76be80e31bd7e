import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../src/db/embedded.js";

/**
 * One PostgreSQL server for the whole run: TEST_DATABASE_URL when set (an existing server),
 * otherwise an embedded one started here. Each test then creates its own database on it.
 */
export default async function setup(project: TestProject) {
  if (process.env.TEST_DATABASE_URL) {
    project.provide("adminUrl", process.env.TEST_DATABASE_URL);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "booksnap-test-pg-"));
  const server = await startEmbeddedPostgres(dir);
  project.provide("adminUrl", server.url);
  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    adminUrl: string;
  }
}
