import { UsageError } from "../errors.js";

/**
 * The dev user named on the command line: `--user EMAIL|ID`, or `--user-id ID`, the old sync
 * script's spelling (`--user-id=12`), which only takes an id.
 */
export function devUserFlag(user: string | undefined, userId: string | undefined): string | undefined {
  if (userId === undefined) return user;
  if (!/^\d+$/.test(userId)) {
    throw new UsageError(`--user-id takes a user id (a number), not ${JSON.stringify(userId)}`, {
      code: "E_BAD_SETTING",
      hint: "Name the user by email with --user you@example.com.",
    });
  }
  if (user !== undefined && user !== userId) {
    throw new UsageError("Give the dev user once: --user or --user-id, not both", {
      code: "E_USAGE",
      hint: "--user-id N is the old script's spelling of --user N.",
    });
  }
  return userId;
}
