import type pg from "pg";
import type { OwnersConfig } from "../config/project-config.js";
import { UsageError } from "../errors.js";
import { targetTable } from "./conflicts.js";
import { quoteIdent } from "./sql-names.js";
import type { ImportPlan } from "./table-plan.js";

/** A row of the target's users table, as offered when choosing the dev user. */
export interface TargetUser {
  id: number;
  email: string;
}

/** The user every imported book and reading list will belong to. */
export interface DevUserChoice {
  /** Undefined when --create-user names an email not in the target yet (created in the final transaction). */
  id: number | undefined;
  email: string;
  create: boolean;
}

const LIST_LIMIT = 50;

/** The app finds users by Clerk id (its sign-up webhook creates them): signing up is the way in. */
const NO_USERS_HINT =
  "Sign up in the app first (with the dev database configured; that creates your user), then import again with --user you@example.com. --create-user you@example.com makes a user nobody can sign in as until it is linked to a Clerk id.";

/** What to do about a user made by --create-user: it has a placeholder Clerk id. */
export function createdDevUserNotice(user: { id: number; email: string }): string {
  return [
    `created dev user ${user.email} (id ${user.id}) with a placeholder Clerk id (booksnap_local_…): nobody can sign in as it through the app, which finds users by their Clerk id,`,
    "and a later sign-up with the same email is refused (emails are unique). To link it, sign up in the app, copy your Clerk user id (user_…, Clerk dashboard → Users), and run",
    `UPDATE "User" SET "clerkId" = 'user_…' WHERE id = ${user.id};`,
    "Next time, sign up in the app first and import with --user.",
  ].join("\n  ");
}

function listUsers(users: readonly TargetUser[]): string {
  return users.map((u) => `${u.id} <${u.email}>`).join(", ");
}

/**
 * Picks the dev user: --user EMAIL|ID, else --create-user EMAIL (used if it exists), else the
 * only user; several users → chooseUser (a TTY prompt) or a usage error listing them.
 */
export async function chooseDevUser(
  client: pg.Client,
  owners: OwnersConfig,
  schema: string,
  options: { user?: string | undefined; createUser?: string | undefined },
  chooseUser?: (users: TargetUser[]) => Promise<TargetUser>,
): Promise<DevUserChoice> {
  const table = `${quoteIdent(schema)}.${quoteIdent(owners.table)}`;
  const id = quoteIdent(owners.idColumn);
  const email = owners.emailColumn ? `${quoteIdent(owners.emailColumn)}::text` : `${id}::text`;
  const select = `SELECT ${id} AS id, ${email} AS email FROM ${table}`;
  const all = async () =>
    (await client.query<TargetUser>(`${select} ORDER BY ${id} LIMIT ${LIST_LIMIT + 1}`)).rows;
  if (options.user !== undefined) {
    const byId = /^\d+$/.test(options.user);
    const { rows } = await client.query<TargetUser>(
      byId || !owners.emailColumn
        ? `${select} WHERE ${id}::text = $1::text`
        : `${select} WHERE lower(${email}) = lower($1)`,
      [byId ? Number(options.user) : options.user],
    );
    const found = rows[0];
    if (!found) {
      const users = await all();
      throw new UsageError(`No user ${options.user} in the target database`, {
        code: "E_USER_NOT_FOUND",
        hint:
          users.length > 0
            ? `Users there: ${listUsers(users.slice(0, LIST_LIMIT))}. Not among them? Sign up in the app first, then import with --user.`
            : NO_USERS_HINT,
      });
    }
    return { id: found.id, email: found.email, create: false };
  }
  if (options.createUser !== undefined) {
    const { rows } = await client.query<TargetUser>(`${select} WHERE lower(${email}) = lower($1)`, [
      options.createUser,
    ]);
    const found = rows[0];
    return found
      ? { id: found.id, email: found.email, create: false }
      : { id: undefined, email: options.createUser, create: true };
  }
  const users = await all();
  if (users.length === 0) {
    throw new UsageError("The target database has no users to own the imported books", {
      code: "E_NO_USERS",
      hint: NO_USERS_HINT,
    });
  }
  if (users.length === 1) {
    const only = users[0] as TargetUser;
    return { id: only.id, email: only.email, create: false };
  }
  if (chooseUser) {
    const chosen = await chooseUser(users.slice(0, LIST_LIMIT));
    return { id: chosen.id, email: chosen.email, create: false };
  }
  throw new UsageError("The target database has several users; say which one gets the imported books", {
    code: "E_USER_AMBIGUOUS",
    hint: `Pass --user EMAIL or --user ID. Users: ${listUsers(users.slice(0, LIST_LIMIT))}${users.length > LIST_LIMIT ? ", …" : ""}`,
    details: { users: users.slice(0, LIST_LIMIT) },
  });
}

/**
 * Creates the dev user (inside the final transaction) and returns its id: its email column set,
 * every other NOT NULL column without a default given a placeholder of its type (text columns
 * `booksnap_local_<email>`, times now, numbers 0, booleans false).
 */
export async function createDevUser(
  client: pg.Client,
  plan: ImportPlan,
  email: string,
  now: Date,
): Promise<number> {
  const owners = plan.owners;
  if (!owners?.emailColumn) throw new UsageError("--create-user needs an owners table with an email column");
  const table = plan.tables.find((t) => t.name === owners.table);
  const placeholder = `booksnap_local_${email.toLowerCase().replace(/[^a-z0-9]+/g, "_")}`;
  const columns: string[] = [quoteIdent(owners.emailColumn)];
  const values: unknown[] = [email];
  for (const column of table?.columns ?? []) {
    const target = column.target;
    if (!target || target.nullable || target.default !== null || target.identity || target.generated)
      continue;
    if (column.name === owners.emailColumn || column.name === owners.idColumn) continue;
    const kind = target.type.kind;
    const value = target.type.array
      ? "{}"
      : ["timestamp", "timestamptz", "date"].includes(kind)
        ? now.toISOString().replace("Z", kind === "timestamptz" ? "Z" : "")
        : ["int2", "int4", "int8", "numeric", "float4", "float8"].includes(kind)
          ? "0"
          : kind === "bool"
            ? "false"
            : placeholder;
    columns.push(quoteIdent(column.name));
    values.push(kind === "date" ? value.slice(0, 10) : value);
  }
  const { rows } = await client.query<{ id: number }>(
    `INSERT INTO ${targetTable(plan, owners.table)} (${columns.join(", ")})
     VALUES (${values.map((_, i) => `$${i + 1}`).join(", ")}) RETURNING ${quoteIdent(owners.idColumn)} AS id`,
    values,
  );
  return (rows[0] as { id: number }).id;
}
