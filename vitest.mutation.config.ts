import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Tests Stryker runs against each mutant (stryker.config.mjs; `npm run mutation`): those that
 * exercise the safety modules in-process. CLI end-to-end tests call test/helpers/cli.ts, which
 * spawns dist/cli.js; here it is replaced by an in-process runner, so they see the mutants too.
 */
const IN_PROCESS_CLI = fileURLToPath(new URL("./test/mutation/in-process-booksnap.ts", import.meta.url));

const MUTATION_TESTS = [
  // target guard
  "test/unit/connection-target.test.ts",
  "test/integration/security-target.test.ts",
  "test/integration/security-target-effective.test.ts",
  // read-only export session
  "test/unit/url-export-settings.test.ts",
  "test/unit/tls-mode.test.ts",
  "test/integration/export-readonly.test.ts",
  "test/integration/export-readonly-layers.test.ts",
  // checkpoint and resume
  "test/integration/import-resume.test.ts",
  "test/integration/import-resume-checkpoint.test.ts",
  // dead-letter file (test/unit/private-file.test.ts and security-written-files.test.ts are left
  // out: they set process.umask, which Stryker's vitest runner refuses, running tests in threads)
  "test/integration/import-rejects.test.ts",
  "test/integration/import-rejects-paging.test.ts",
  // manifest and data-file checks; test/corpus is left out: each of its 105 cases runs an
  // import, about 90 s for every mutant that survives it (docs/security.md).
  "test/integration/export-verify.test.ts",
  // written against surviving mutants
  "test/unit/manifest-checks.test.ts",
  "test/unit/data-file-checks.test.ts",
  "test/unit/checkpoint-checks.test.ts",
  "test/integration/checkpoint-*.test.ts",
  "test/unit/host-class-boundaries.test.ts",
  "test/unit/target-guard-rules.test.ts",
  "test/unit/export-session-config.test.ts",
  "test/unit/dead-letter-claim.test.ts",
];

/**
 * Unit test files first: Stryker stops a mutant at its first failing test, and most mutants
 * are killed by a unit test in milliseconds instead of an import in seconds.
 */
class UnitTestsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const isUnit = (file: TestSpecification) => file.moduleId.includes("/test/unit/");
    return [...sorted.filter(isUnit), ...sorted.filter((file) => !isUnit(file))];
  }
}

export default defineConfig({
  plugins: [
    {
      name: "booksnap-in-process-cli",
      enforce: "pre",
      resolveId(source, importer) {
        if (/\/helpers\/cli\.js$/.test(source) && importer && importer !== IN_PROCESS_CLI)
          return IN_PROCESS_CLI;
        return null;
      },
    },
  ],
  test: {
    globalSetup: ["test/global-setup.ts"],
    // MUTATION_TESTS (comma-separated paths) narrows a run to one module's own tests: every
    // surviving mutant runs all tests that cover it, and an import covers nearly everything.
    include: process.env.MUTATION_TESTS?.split(",") ?? MUTATION_TESTS,
    sequence: { sequencer: UnitTestsFirst },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
