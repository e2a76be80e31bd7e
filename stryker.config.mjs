// @ts-check
/**
 * Mutation testing of the safety modules (`npm run mutation`; docs/security.md, "Mutation
 * testing"). Manual / periodic, not in CI: a full run takes tens of minutes on two cores.
 * Needs a PostgreSQL server: TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres.
 * Run one module with e.g. `npm run mutation -- --mutate src/import/target-guard.ts`.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: "vitest",
  vitest: {
    configFile: "vitest.mutation.config.ts",
    // The end-to-end tests reach the modules through runCli, not by importing them.
    related: false,
  },
  plugins: ["@stryker-mutator/vitest-runner"],
  mutate: [
    // Target guard: the effective connection target, the strict host classification, the guard.
    "src/import/target-guard.ts",
    "src/db/host-class.ts",
    "src/db/target.ts",
    "src/db/url.ts:101-114",
    // Read-only export session: TLS decision and session settings, URL overrides removed,
    // the read-only transaction opened and checked.
    "src/db/connect.ts:58-120",
    "src/export/export.ts:98-108",
    "src/export/export.ts:148-151",
    "src/export/export.ts:322-334",
    // Checkpoint and resume.
    "src/import/staging.ts",
    "src/import/staging-phase.ts",
    "src/import/preflight.ts:18-38",
    "src/import/preflight.ts:121-148",
    "src/import/load-staging.ts:91-204",
    "src/import/load-staging.ts:314-353",
    // Dead-letter file: its content, claiming and publishing it, the private-file helpers.
    "src/import/rejects.ts",
    "src/import/dead-letter-file.ts",
    "src/fs/private-file.ts",
    // Manifest and data-file checks.
    "src/snapshot/manifest.ts",
    "src/verify/data-file.ts",
  ],
  coverageAnalysis: "perTest",
  // Code run only in beforeAll hooks or at import counts as "static": each such mutant would need
  // the whole suite (about 2 minutes here). They are reported as Ignored, and counted in the doc.
  ignoreStatic: true,
  // Two cores shared with other work, and one PostgreSQL server under every test.
  concurrency: 1,
  timeoutMS: 60_000,
  // Types are checked by `npm run typecheck`; mutants that do not compile fail their tests anyway.
  disableTypeChecks: true,
  // No tsconfig rewriting: ours has no extends/references, and the rewriter needs the
  // TypeScript JS API, which TypeScript 7 (native) no longer ships. A file that does not exist
  // makes Stryker skip it.
  tsconfigFile: "stryker-no-tsconfig-rewrite.json",
  // dist/ is kept: import-resume.test.ts spawns dist/cli.js to kill it mid-import (unmutated code).
  ignorePatterns: ["bench", "snapshots", "docs", "reports", "logs", ".booksnap"],
  reporters: ["clear-text", "progress", "json", "html"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  clearTextReporter: { allowColor: false, reportTests: false, reportMutants: true },
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
};
