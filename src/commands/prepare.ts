import type { CommandModule } from "yargs";
import type { CommandContext } from "../cli/context.js";
import { resolveDatabaseUrl } from "../config/database.js";
import { loadEnvironment } from "../config/env.js";
import type { TlsMode } from "../db/connect.js";
import { describeLocation } from "../db/url.js";
import { prepareDatabase } from "../prepare.js";

interface PrepareArgs {
  to?: string;
  "to-env": string;
  "env-file"?: string;
  "create-database": boolean;
  tls: TlsMode;
  "connect-timeout": number;
}

export const prepareCommand = (ctx: CommandContext): CommandModule<object, PrepareArgs> => ({
  command: "prepare",
  describe: "Create the book schema in an empty dev database from the bundled migrations",
  builder: (y) =>
    y
      .option("to", {
        type: "string",
        describe: "Target database URL (prefer --to-env: keeps passwords off the command line)",
      })
      .option("to-env", {
        type: "string",
        default: "DEWEY_DB_DATABASE_URL",
        describe: "Environment variable holding the target URL",
      })
      .option("env-file", {
        type: "string",
        describe: "Load variables from this dotenv file first (e.g. .env)",
      })
      .option("create-database", {
        type: "boolean",
        default: true,
        describe: "Create the database if it does not exist",
      })
      .option("tls", {
        choices: ["auto", "disable", "require", "verify-full"] as const,
        default: "auto" as TlsMode,
      })
      .option("connect-timeout", { type: "number", default: 10_000, describe: "Connect timeout (ms)" })
      .example(
        "$0 prepare --env-file .env",
        "Create the schema in the database named by DEWEY_DB_DATABASE_URL in .env",
      )
      .example(
        "$0 prepare --to postgresql://postgres@localhost:5432/books_dev",
        "Create books_dev and its tables",
      ) as never,
  handler: async (args) => {
    const env = loadEnvironment(ctx.env, args["env-file"]);
    const url = resolveDatabaseUrl({ url: args.to, envName: args["to-env"] }, env);
    ctx.output.protectUrl(url);
    const result = await prepareDatabase({
      createDatabase: args["create-database"],
      connection: {
        url,
        applicationName: "booksnap-prepare",
        readOnly: false,
        tls: args.tls,
        connectTimeoutMs: args["connect-timeout"],
        statementTimeoutMs: 0,
        lockTimeoutMs: 0,
      },
    });
    const where = describeLocation(url);
    if (ctx.output.json) return ctx.output.result({ ok: true, ...result });
    if (result.createdDatabase) ctx.output.line(`created database ${where.database}`);
    ctx.output.line(
      result.applied.length > 0
        ? `applied ${result.applied.length} migration(s) to ${where.host}:${where.port}/${where.database}: ${result.applied.join(", ")}`
        : `${where.host}:${where.port}/${where.database} is up to date (${result.alreadyApplied.length} migration(s))`,
    );
  },
});
