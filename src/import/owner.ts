import type pg from "pg";
import { UsageError } from "../errors.js";

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
  options: { user?: string | undefined; createUser?: string | undefined },
  chooseUser?: (users: TargetUser[]) => Promise<TargetUser>,
): Promise<DevUserChoice> {
  const all = async () =>
    (await client.query<TargetUser>(`SELECT id, email FROM "User" ORDER BY id LIMIT ${LIST_LIMIT + 1}`)).rows;
  if (options.user !== undefined) {
    const byId = /^\d+$/.test(options.user);
    const { rows } = await client.query<TargetUser>(
      byId
        ? `SELECT id, email FROM "User" WHERE id = $1`
        : `SELECT id, email FROM "User" WHERE lower(email) = lower($1)`,
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
    const { rows } = await client.query<TargetUser>(
      `SELECT id, email FROM "User" WHERE lower(email) = lower($1)`,
      [options.createUser],
    );
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

/** Creates the dev user (inside the final transaction) and returns its id. */
export async function createDevUser(client: pg.Client, email: string, now: Date): Promise<number> {
  const clerkId = `booksnap_local_${email.toLowerCase().replace(/[^a-z0-9]+/g, "_")}`;
  const { rows } = await client.query<{ id: number }>(
    `INSERT INTO "User" ("clerkId", email, "createdAt", "updatedAt") VALUES ($1, $2, $3, $3) RETURNING id`,
    [clerkId, email, now.toISOString().replace("Z", "")],
  );
  return (rows[0] as { id: number }).id;
}
