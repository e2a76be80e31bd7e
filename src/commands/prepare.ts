import { resolve } from "node:path";
import type { CommandModule } from "yargs";
import { type ConnectionArgs, resolveConnection, withConnectionOptions } from "../cli/connection-options.js";
import type { CommandContext } from "../cli/context.js";
import { describeLocation } from "../db/url.js";
import { prepareDatabase } from "../prepare.js";

interface PrepareArgs extends ConnectionArgs {
  "create-database": boolean;
  migrations?: string;
  "allow-remote-target": boolean;
}

export const prepareCommand = (ctx: CommandContext): CommandModule<object, PrepareArgs> => ({
  command: "prepare",
  describe:
    "Create the book schema in a dev database from Prisma migrations, recorded as prisma migrate does",
  builder: (y) =>
    withConnectionOptions(y, "target")
      .option("create-database", {
        type: "boolean",
        default: true,
        describe: "Create the database if it does not exist",
      })
      .option("migrations", {
        type: "string",
        describe:
          "Prisma migrations directory to apply, e.g. your app's prisma/migrations (default: the bundled one)",
      })
      .option("allow-remote-target", {
        type: "boolean",
        default: false,
        describe: "Allow a target that is not on this machine or a private network",
      })
      .example(
        "$0 prepare --env-file .env",
        "Create the schema in the database named by DEWEY_DB_DATABASE_URL in .env",
      )
      .example(
        "$0 prepare --env-file .env --migrations ../penumbra/prisma/migrations",
        "Apply the app's own migrations (only those not applied yet), recorded as prisma migrate does",
      )
      .example(
        "$0 prepare --to postgresql://postgres@localhost:5432/books_dev",
        "Create books_dev and its tables",
      ) as never,
  handler: async (args) => {
    const {
      env,
      urlFrom: _from,
      urlFallback: _fallback,
      ...connection
    } = resolveConnection(ctx, args, "target");
    const { url } = connection;
    const result = await prepareDatabase({
      createDatabase: args["create-database"],
      ...(args.migrations === undefined ? {} : { migrationsDir: resolve(ctx.cwd, args.migrations) }),
      allowRemoteTarget: args["allow-remote-target"],
      warn: (message) => ctx.output.warn(message),
      connection: {
        ...connection,
        env,
        applicationName: "booksnap-prepare",
        readOnly: false,
        statementTimeoutMs: 0,
        lockTimeoutMs: 0,
      },
    });
    const where = describeLocation(url, env);
    if (ctx.output.json) return ctx.output.result({ ok: true, ...result });
    if (result.createdDatabase) ctx.output.line(`created database ${where.database}`);
    ctx.output.line(
      result.applied.length > 0
        ? `applied ${result.applied.length} migration(s) to ${where.host}:${where.port}/${where.database}: ${result.applied.join(", ")}`
        : `${where.host}:${where.port}/${where.database} is up to date (${result.alreadyApplied.length} migration(s))`,
    );
  },
});
