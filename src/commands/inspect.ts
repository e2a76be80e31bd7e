import type { CommandModule } from "yargs";
import type { CommandContext } from "../cli/context.js";
import { type StoreArgs, withStore, withStoreOptions } from "../cli/store-options.js";
import { inspectSnapshot, type SnapshotSummary } from "../inspect.js";
import { isStoreUrl, parseStoreSnapshotRef } from "../store/s3-url.js";

interface InspectArgs extends StoreArgs {
  snapshot: string;
}

export const inspectCommand = (ctx: CommandContext): CommandModule<object, InspectArgs> => ({
  command: "inspect <snapshot>",
  describe: "Summarise a snapshot's manifest: source, time, counts, sizes, filters, redaction",
  builder: (y) =>
    withStoreOptions(y)
      .positional("snapshot", {
        type: "string",
        demandOption: true,
        describe: "The manifest, the data file, their common path, or s3://bucket/prefix/<name|latest>",
      })
      .example("$0 inspect snapshots/alice", "Show what the snapshot holds")
      .example("$0 inspect snapshots/alice.manifest.json --json", "The summary as JSON") as never,
  handler: async (args) => {
    const s = isStoreUrl(args.snapshot)
      ? await withStore(ctx, ctx.env, args, async (client) => {
          const { inspectStoreSnapshot } = await import("../store/index.js");
          return inspectStoreSnapshot(client, parseStoreSnapshotRef(args.snapshot), ctx.signal);
        })
      : await inspectSnapshot(args.snapshot);
    if (ctx.output.json) return ctx.output.result({ ok: true, ...s });
    const n = (value: number) => value.toLocaleString("en-US");
    const rows: Array<[string, string]> = [
      ["snapshot", s.name],
      ["created", s.createdAt],
      [
        "source",
        `${s.source.host}:${s.source.port}/${s.source.database} (PostgreSQL ${s.source.serverVersion ?? "?"}, TLS ${s.source.tls}, ${s.source.isolation})`,
      ],
      ["written by", `${s.tool.name} ${s.tool.version}, format version ${s.formatVersion}`],
      ["filters", describeFilters(s.filters)],
      [
        "redaction",
        s.redaction.mode === "none"
          ? "none: PII kept (--no-redact)"
          : `pseudonymised (${describeRules(s.redaction)}), key id ${s.redaction.keyId ?? "not recorded"}`,
      ],
      ...Object.entries(s.counts).map(([table, count]): [string, string] => [`  ${table}`, n(count)]),
      ["records", n(s.records)],
      [
        "data file",
        `${n(s.bytes)} bytes (${n(s.uncompressedBytes)} uncompressed)${s.dataFilePresent ? "" : " MISSING"}`,
      ],
      ["sha256", s.sha256],
      ["encryption", describeSnapshotEncryption(s.encryption)],
      ["schema", s.schemaFingerprint],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [key, value] of rows) ctx.output.line(`${key.padEnd(width)}  ${value}`);
  },
});

/** Public facts only: the scheme and, for age recipients, their public keys. */
function describeSnapshotEncryption(encryption: SnapshotSummary["encryption"]): string {
  if (!encryption) return "none";
  if (encryption.scheme !== "age")
    return `${encryption.scheme} (key from passphrase via ${encryption.kdf}; old format)`;
  if (encryption.mode === "passphrase") return "age, passphrase (scrypt)";
  return `age, for ${encryption.recipients.length} recipient(s): ${encryption.recipients.join(", ")}`;
}

/** Owners and predicates of a subset export, or "all". */
function describeFilters(filters: SnapshotSummary["filters"]): string {
  if ("referencedBooksAdded" in filters) {
    return filters.owners.length > 0
      ? `owners ${filters.owners.join(", ")} (+${filters.referencedBooksAdded} referenced books)`
      : "all";
  }
  const parts = [
    ...(filters.owners.length > 0 ? [`owners ${filters.owners.join(", ")}`] : []),
    ...filters.where.map((w) => `${w.table}: ${w.predicate}`),
  ];
  if (parts.length === 0) return "all";
  const added = Object.entries(filters.addedByReference).filter(([, count]) => count > 0);
  return added.length > 0
    ? `${parts.join("; ")} (+ by reference: ${added.map(([t, c]) => `${t} ${c}`).join(", ")})`
    : parts.join("; ");
}

/** The redacted columns, as the manifest lists them. */
function describeRules(redaction: SnapshotSummary["redaction"]): string {
  if ("fields" in redaction) return redaction.fields.join(", ");
  const rules = redaction.rules.map((r) => `${r.table}.${r.column}: ${r.kind}`);
  const uncovered = redaction.uncovered.map((u) => `${u.table}.${u.column}: ${u.replacement} (no rule)`);
  return [...rules, ...uncovered].join(", ");
}
