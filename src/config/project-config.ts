import { resolve } from "node:path";
import { BOOK_APP_PRESET } from "./book-app-preset.js";
import { ConfigError } from "./config-error.js";
import { CONFIG_FILE_NAME, readConfigFile } from "./config-file.js";
import type { ConfigFile, PresetName } from "./config-file-schema.js";
import type {
  ConfigOrigin,
  PerOwnerRule,
  ProjectConfig,
  RedactionRule,
  TableRedactionRules,
} from "./project-config-types.js";

/** Positions 100, 200, 300…: the book app's own spacing (it appends at the highest position + 100). */
export const DEFAULT_RENUMBER_STEP = 100;

export type * from "./project-config-types.js";

/**
 * The project configuration, resolved once per command (docs/configuration.md):
 * - no file: the built-in book-app configuration;
 * - a file: the file is the whole configuration, over the engine defaults only (schema
 *   "public", `_prisma_migrations` excluded, no owners table, no rules) — a file written for an
 *   unrelated app inherits nothing book-specific;
 * - a file with `"extends": "book-app"`: the book-app configuration changed by the file (see
 *   mergeConfigFiles for the rule per key).
 */

/** What an app gets when its file says nothing: engine defaults, not the book app's. */
export const ENGINE_DEFAULTS = {
  schema: "public",
  /** Prisma's migration history is the target's own business, never copied. */
  exclude: ["_prisma_migrations"],
} as const;

const PRESETS: Record<PresetName, ConfigFile> = { "book-app": BOOK_APP_PRESET };

export interface ResolveProjectConfigOptions {
  /** --config PATH (relative to cwd); when given, the file must exist. */
  path?: string | undefined;
  cwd: string;
}

/** Reads `--config PATH`, else `booksnap.config.json` in cwd if present, else the built-in config. */
export async function resolveProjectConfig(options: ResolveProjectConfigOptions): Promise<ProjectConfig> {
  const explicit = options.path !== undefined;
  const path = resolve(options.cwd, options.path ?? CONFIG_FILE_NAME);
  const file = await readConfigFile(path, explicit);
  if (file === undefined)
    return buildProjectConfig(BOOK_APP_PRESET, { kind: "built-in", preset: "book-app" });
  const base = file.extends ? PRESETS[file.extends] : undefined;
  const merged = base ? mergeConfigFiles(base, file) : file;
  return buildProjectConfig(merged, { kind: "file", path, extends: file.extends ?? null }, path);
}

/** The built-in configuration of a preset (the default when no file is found). */
export function presetProjectConfig(preset: PresetName = "book-app"): ProjectConfig {
  return buildProjectConfig(PRESETS[preset], { kind: "built-in", preset });
}

/**
 * `extends`: scalar keys, `tables.include`, `tables.exclude`, `owners` and `perOwnerRules`
 * replace the base's when the file gives them; `redaction` merges per table and column (the
 * file's rule wins); `identity` merges per table (the file's key wins).
 */
export function mergeConfigFiles(base: ConfigFile, file: ConfigFile): ConfigFile {
  const redaction: NonNullable<ConfigFile["redaction"]> = {};
  for (const source of [base.redaction, file.redaction]) {
    for (const [table, rules] of Object.entries(source ?? {})) {
      redaction[table] = { ...(redaction[table] ?? {}), ...rules };
    }
  }
  const tables = { ...base.tables, ...file.tables };
  return {
    schema: file.schema ?? base.schema,
    tables,
    owners: file.owners !== undefined ? file.owners : base.owners,
    redaction,
    identity: { ...base.identity, ...file.identity },
    perOwnerRules: file.perOwnerRules ?? base.perOwnerRules,
  } satisfies ConfigFile;
}

/**
 * Turns a checked file (or preset) into the complete, frozen ProjectConfig, checking the rules
 * that need the whole file (sameAs targets, owner and rule columns). `path` names the file in
 * errors; a preset that fails here is a bug.
 */
export function buildProjectConfig(
  file: ConfigFile,
  origin: ConfigOrigin,
  path = "(built-in)",
): ProjectConfig {
  const problems: string[] = [];
  const redaction = buildRedaction(file, problems);
  const identity = nullRecord<readonly string[]>();
  for (const [table, columns] of Object.entries(file.identity ?? {})) {
    if (new Set(columns).size !== columns.length) problems.push(`identity.${table}: names a column twice`);
    identity[table] = Object.freeze([...columns]);
  }
  const perOwnerRules = (file.perOwnerRules ?? []).map((rule, index): PerOwnerRule => {
    if (rule.uniqueBy.includes(rule.owner)) {
      problems.push(`perOwnerRules[${index}].uniqueBy: must not repeat the owner column`);
    }
    const where = nullRecord<string | number | boolean | null>();
    Object.assign(where, rule.where);
    return Object.freeze({
      name: rule.name ?? describePerOwnerRule(rule.table, rule.where, rule.uniqueBy),
      table: rule.table,
      owner: rule.owner,
      where: Object.freeze(where),
      uniqueBy: Object.freeze([...rule.uniqueBy]),
      renumber: rule.renumber
        ? Object.freeze({
            table: rule.renumber.table,
            parent: rule.renumber.parent,
            column: rule.renumber.column,
            step: rule.renumber.step ?? DEFAULT_RENUMBER_STEP,
          })
        : null,
    });
  });
  const owners = file.owners ?? null;
  if (owners && owners.emailColumn === owners.idColumn) {
    problems.push("owners: emailColumn and idColumn must be different columns");
  }
  if (problems.length > 0) {
    throw new ConfigError(
      "E_CONFIG_INVALID",
      `The config file ${path} is invalid:\n  ${problems.join("\n  ")}`,
      {
        hint: "See docs/configuration.md.",
        details: { problems },
      },
    );
  }
  return Object.freeze({
    origin: Object.freeze(origin),
    schema: file.schema ?? ENGINE_DEFAULTS.schema,
    tables: Object.freeze({
      include: file.tables?.include ? Object.freeze([...file.tables.include]) : null,
      exclude: Object.freeze([...(file.tables?.exclude ?? ENGINE_DEFAULTS.exclude)]),
    }),
    owners: owners ? Object.freeze({ ...owners }) : null,
    redaction: Object.freeze(redaction),
    identity: Object.freeze(identity),
    perOwnerRules: Object.freeze(perOwnerRules),
  });
}

function buildRedaction(file: ConfigFile, problems: string[]): Record<string, TableRedactionRules> {
  const source = file.redaction ?? {};
  const kindOf = (table: string, column: string) => {
    const rule = source[table]?.[column];
    return rule === undefined ? undefined : typeof rule === "string" ? { kind: rule } : rule;
  };
  const redaction = nullRecord<TableRedactionRules>();
  for (const [table, rules] of Object.entries(source)) {
    const resolved = nullRecord<RedactionRule>();
    for (const [column, rule] of Object.entries(rules)) {
      const here = `redaction.${table}.${column}`;
      if (typeof rule === "string") {
        resolved[column] = Object.freeze({ kind: rule, domain: `${table}.${column}` });
        continue;
      }
      const [targetTable = "", targetColumn = ""] = rule.sameAs.split(".");
      const target = kindOf(targetTable, targetColumn);
      if (!target) {
        problems.push(`${here}.sameAs: ${rule.sameAs} has no redaction rule`);
      } else if ("sameAs" in target) {
        problems.push(`${here}.sameAs: ${rule.sameAs} itself uses sameAs; name the column it shares with`);
      } else if (target.kind !== rule.kind) {
        problems.push(`${here}: kind ${rule.kind} differs from ${rule.sameAs}'s kind ${target.kind}`);
      }
      resolved[column] = Object.freeze({ kind: rule.kind, domain: rule.sameAs });
    }
    redaction[table] = Object.freeze(resolved);
  }
  return redaction;
}

/** "one ReadingList per owner where type = FAVORITES_YEAR and year" style text for messages. */
function describePerOwnerRule(
  table: string,
  where: Record<string, unknown>,
  uniqueBy: readonly string[],
): string {
  const condition = Object.entries(where)
    .map(([column, value]) => `${column} = ${JSON.stringify(value)}`)
    .join(" and ");
  const per = ["owner", ...uniqueBy].join(" and ");
  return `one ${table} row${condition ? ` with ${condition}` : ""} per ${per}`;
}

/** A record with no prototype: a key like "constructor" or "toString" is just a key. */
function nullRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
