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
  // Exports create a redaction key in the user's config directory: never the real ~/.config.
  // Set before the workers start, so they and every CLI they spawn inherit it.
  const configHome = await mkdtemp(join(tmpdir(), "booksnap-test-config-"));
  process.env.XDG_CONFIG_HOME = configHome;
  const removeConfigHome = () => rm(configHome, { recursive: true, force: true });
  if (process.env.TEST_DATABASE_URL) {
    project.provide("adminUrl", process.env.TEST_DATABASE_URL);
    return removeConfigHome;
  }
  const dir = await mkdtemp(join(tmpdir(), "booksnap-test-pg-"));
  const server = await startEmbeddedPostgres(dir);
  project.provide("adminUrl", server.url);
  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
    await removeConfigHome();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    adminUrl: string;
  }
}
