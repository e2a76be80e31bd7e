#!/usr/bin/env node
// Runs `prisma generate` without network access. The Prisma CLI looks for a schema engine
// at start-up and downloads one when it is missing; generation itself never uses it. Pointing
// PRISMA_SCHEMA_ENGINE_BINARY at a local stand-in keeps installs offline (air-gapped bastion
// hosts, CI). A user who has a real engine can still set the variable themselves.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const prismaBin = join(root, "node_modules", "prisma", "build", "index.js");
if (!existsSync(prismaBin)) {
  // Production installs (`npm ci --omit=dev`) ship the already generated client.
  console.log("booksnap: prisma CLI not installed; keeping the generated client as it is");
  process.exit(0);
}
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY:
    process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? join(root, "scripts", "offline-schema-engine.sh"),
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
  CHECKPOINT_DISABLE: "1",
};
const result = spawnSync(process.execPath, [prismaBin, "generate"], { cwd: root, env, stdio: "inherit" });
process.exit(result.status ?? 1);
