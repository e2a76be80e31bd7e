/**
 * booksnap's public API. The CLI uses only what is exported here; so can scripts and tests.
 */

export {
  CHECK_APPLICATION_NAME,
  type CheckOptions,
  type CheckResult,
  checkConnectionSettings,
  checkSnapshot,
} from "./check.js";
export { runCli } from "./cli/main.js";
export type { ProgressCallback, ProgressUpdate } from "./cli/progress.js";
export {
  assertConfigMatchesSchema,
  type ConfigCheck,
  type ConfigProblem,
  checkConfigAgainstSchema,
} from "./config/config-check.js";
export { ConfigError, type ConfigErrorCode } from "./config/config-error.js";
export { CONFIG_FILE_NAME, MAX_CONFIG_BYTES } from "./config/config-file.js";
export { PSEUDONYM_KINDS, REDACTION_KINDS } from "./config/config-file-schema.js";
export {
  ENGINE_DEFAULTS,
  type ProjectConfig,
  presetProjectConfig,
  type ResolveProjectConfigOptions,
  resolveProjectConfig,
} from "./config/project-config.js";
export {
  CONFIG_DIR_VARIABLE,
  REDACTION_KEY_VARIABLE,
  type RedactionKey,
  redactionKeyId,
  resolveRedactionKey,
} from "./config/redaction-key.js";
export type { ConnectionSettings, TlsMode } from "./db/connect.js";
export { applyMigrations } from "./db/migrate.js";
export { describeLocation, redactSecrets, sanitizeUrl } from "./db/url.js";
export * from "./errors.js";
export {
  EXPORT_APPLICATION_NAME,
  type ExportDeps,
  type ExportOptions,
  type ExportResult,
  exportConnectionSettings,
  exportSnapshot,
} from "./export/export.js";
export type { ImportMode } from "./import/conflicts.js";
export {
  abortImport,
  DEFAULT_BATCH_SIZE,
  IMPORT_APPLICATION_NAME,
  type ImportDeps,
  type ImportOptions,
  type ImportSummary,
  importSnapshot,
  type ModelImportCounts,
} from "./import/import.js";
export type { TargetUser } from "./import/owner.js";
export type { RejectedRecord } from "./import/rejects.js";
export { CHECKPOINT_TABLE, IMPORT_LOCK_KEY, STAGING_SCHEMA } from "./import/staging.js";
export { inspectSnapshot, type SnapshotSummary } from "./inspect.js";
export { inspectSnapshotOwners, type SnapshotOwner, type SnapshotOwnersSummary } from "./inspect-owners.js";
export { type PrepareOptions, type PrepareResult, prepareDatabase } from "./prepare.js";
export {
  type AppliedRule,
  planRedaction,
  type RedactionPlan,
  type TableRedactionPlan,
} from "./redact/plan.js";
export {
  createRowRedactor,
  RedactionCollisionError,
  type RowRedactor,
  redactColumnValue,
} from "./redact/row-redactor.js";
export { formatSuggestedRules, type UncoveredColumn, type UncoveredReplacement } from "./redact/uncovered.js";
export {
  type ColumnAction,
  type CompareOptions,
  type CompatibilityCode,
  type CompatibilityEntry,
  type CompatibilityReport,
  compareSchemas,
  DEFAULT_COMPARE_OPTIONS,
  type RecordRule,
  type TableCompatibility,
  type Verdict,
} from "./schema/compatibility.js";
export * from "./schema/description.js";
export { schemaFingerprint } from "./schema/fingerprint.js";
export { type IntrospectionResult, type IntrospectOptions, introspectSchema } from "./schema/introspect.js";
export { orderTables } from "./schema/order.js";
export {
  defaultIdentityPath,
  type GeneratedKey,
  generateIdentityFile,
  parseRecipient,
  readIdentityFile,
  readRecipientsFile,
} from "./snapshot/age-keys.js";
export type { DataSource, SnapshotSource } from "./snapshot/data-source.js";
export {
  type AgeEncryptionKeys,
  assertKeysFor,
  createDecryptStream,
  createEncryptStream,
  DEFAULT_PASSPHRASE_ENV,
  type DecryptionKeys,
  describeEncryption,
  passphraseFromEnv,
  type SnapshotEncryption,
} from "./snapshot/encryption.js";
export { FORMAT_VERSION, manifestSchema, parseManifest, type SnapshotManifest } from "./snapshot/manifest.js";
export { MODEL_NAMES, MODELS, type ModelName, type SnapshotRecord } from "./snapshot/models.js";
export { resolveSnapshotPaths, type SnapshotPaths } from "./snapshot/paths.js";
export { type CheckedRecord, SnapshotContentChecker } from "./verify/content-checker.js";
export { checkDataFile, loadManifest, sha256File } from "./verify/data-file.js";
export { type CheckedRow, RowContentChecker } from "./verify/row-checker.js";
export {
  type VerifiedRow,
  type VerifyDeps,
  type VerifyObserver,
  type VerifyResult,
  verifySnapshot,
} from "./verify/verify.js";
