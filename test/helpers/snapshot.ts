import type { SnapshotDescription } from "../../src/snapshot/snapshot-writer.js";

/** The parts of a test snapshot's description that a test may set; the rest keeps the defaults. */
export interface TestDescriptionOverrides {
  /** ISO timestamp; default 2026-01-01T00:00:00.000Z. */
  createdAt?: string;
  source?: Partial<SnapshotDescription["source"]>;
  /** Default: no redaction. */
  redaction?: SnapshotDescription["redaction"];
}

/**
 * What writeSnapshot records in a test snapshot's manifest: a read-only export over TLS of the
 * `prod` database on host `db`, taken 2026-01-01, unfiltered and unredacted unless overridden.
 */
export function testDescription(overrides: TestDescriptionOverrides = {}): SnapshotDescription {
  return {
    createdAt: new Date(overrides.createdAt ?? "2026-01-01T00:00:00.000Z"),
    source: {
      host: "db",
      port: 5432,
      database: "prod",
      tls: "require",
      isolation: "repeatable read, read only",
      ...overrides.source,
    },
    filters: { owners: [], referencedBooksAdded: 0 },
    redaction: overrides.redaction ?? { mode: "none", fields: [] },
  };
}
