import type { CommandModule } from "yargs";
import { type ConfigArgs, resolveConfigOption, withConfigOption } from "../cli/config-option.js";
import type { CommandContext } from "../cli/context.js";
import {
  type DecryptionArgs,
  resolveDecryptionKeys,
  withDecryptionOptions,
} from "../cli/encryption-options.js";
import { createProgressReporter } from "../cli/progress.js";
import { type StoreArgs, withStore, withStoreOptions } from "../cli/store-options.js";
import { UsageError } from "../errors.js";
import { inspectSnapshot, type SnapshotSummary } from "../inspect.js";
import { inspectSnapshotOwners, type SnapshotOwner } from "../inspect-owners.js";
import { isStoreUrl, parseStoreSnapshotRef } from "../store/s3-url.js";

interface InspectArgs extends StoreArgs, DecryptionArgs, ConfigArgs {
  snapshot: string;
  owners: boolean;
}

export const inspectCommand = (ctx: CommandContext): CommandModule<object, InspectArgs> => ({
  command: "inspect <snapshot>",
  describe: "Summarise a snapshot's manifest: source, time, counts, sizes, filters, redaction",
  builder: (y) =>
    withConfigOption(withDecryptionOptions(withStoreOptions(y)))
      .positional("snapshot", {
        type: "string",
        demandOption: true,
        describe: "The manifest, the data file, their common path, or s3://bucket/prefix/<name|latest>",
      })
      .option("owners", {
        type: "boolean",
        default: false,
        describe:
          "Also list the owners table's records (id, email as the snapshot holds it) for import --as: reads and verifies the whole data file (local snapshots only; encrypted ones need --identity or the passphrase, as for verify)",
      })
      .example("$0 inspect snapshots/alice", "Show what the snapshot holds")
      .example(
        "$0 inspect snapshots/alice --owners",
        "…and the owners it holds, for import --owners keep --as",
      )
      .example("$0 inspect snapshots/alice.manifest.json --json", "The summary as JSON") as never,
  handler: async (args) => {
    if (args.owners) return inspectOwners(ctx, args);
    const s = isStoreUrl(args.snapshot)
      ? await withStore(ctx, ctx.env, args, async (client) => {
          const { inspectStoreSnapshot } = await import("../store/index.js");
          return inspectStoreSnapshot(client, parseStoreSnapshotRef(args.snapshot), ctx.signal);
        })
      : await inspectSnapshot(args.snapshot);
    if (ctx.output.json) return ctx.output.result({ ok: true, ...s });
    printSummary(ctx, s);
  },
});

/** `inspect --owners`: the summary of the verified snapshot, then its owners. */
async function inspectOwners(ctx: CommandContext, args: InspectArgs): Promise<void> {
  if (isStoreUrl(args.snapshot)) {
    throw new UsageError("inspect --owners reads local snapshots only", {
      code: "E_USAGE",
      hint: `Copy it here first: booksnap pull ${args.snapshot}, then inspect the local copy with --owners.`,
    });
  }
  const config = await resolveConfigOption(args, ctx.cwd);
  const progress = createProgressReporter(ctx.output, "lines");
  let s: Awaited<ReturnType<typeof inspectSnapshotOwners>>;
  try {
    s = await inspectSnapshotOwners(args.snapshot, config.owners, {
      onProgress: progress.update,
      signal: ctx.signal,
      keys: await resolveDecryptionKeys(args, ctx.env, ctx.cwd),
      warn: (message) => ctx.output.warn(message),
    });
  } finally {
    progress.stop();
  }
  if (ctx.output.json) return ctx.output.result({ ok: true, ...s });
  printSummary(ctx, s);
  ctx.output.line();
  printOwners(ctx, s.owners, config.owners?.table ?? "");
}

/** A two-column table of the owners; Output.line escapes the snapshot's text for the terminal. */
function printOwners(ctx: CommandContext, owners: SnapshotOwner[], table: string): void {
  const rows: Array<[string, string]> = [
    ["id", "email"],
    ...owners.map((o): [string, string] => [String(o.id), o.email ?? "NULL"]),
  ];
  const width = Math.max(...rows.map(([id]) => id.length));
  for (const [id, email] of rows) ctx.output.line(`${id.padEnd(width)}  ${email}`);
  ctx.output.line(`${owners.length.toLocaleString("en-US")} owner(s) in ${table} (data file verified)`);
}

function printSummary(ctx: CommandContext, s: SnapshotSummary): void {
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
}

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
