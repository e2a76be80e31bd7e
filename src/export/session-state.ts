import type pg from "pg";

/**
 * What a `--where` predicate must leave as it found it. A predicate is one expression, but
 * set_config(name, value, false) — or any SET run through query_to_xml() — changes the session for
 * every later statement of the export transaction: `role` (another user's privileges),
 * search_path (which `unnest`, `lower`, `=` the key queries call), TimeZone / DateStyle /
 * extra_float_digits (how keys and values are written as text), statement_timeout,
 * standard_conforming_strings. A session-level advisory lock would outlive the export on a
 * reused connection. Every name is qualified: a changed search_path cannot shadow this query.
 */
const SESSION_STATE_SQL = `
SELECT s.name, s.setting FROM pg_catalog.pg_settings s
UNION ALL SELECT 'role', pg_catalog.current_setting('role')
UNION ALL SELECT 'current_user', pg_catalog."current_user"()::text
UNION ALL SELECT 'session_user', pg_catalog."session_user"()::text
UNION ALL SELECT 'advisory locks held', pg_catalog.count(*)::text
            FROM pg_catalog.pg_locks l
           WHERE l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'advisory'`;

/** Setting name → value (pg_settings' text form), plus role, users and advisory locks held. */
export type SessionState = ReadonlyMap<string, string>;

export async function readSessionState(client: pg.ClientBase): Promise<SessionState> {
  const { rows } = await client.query<{ name: string; setting: string | null }>(SESSION_STATE_SQL);
  return new Map(rows.map((row) => [row.name, row.setting ?? ""]));
}

/** Names whose value differs between two readings, sorted. */
export function changedSessionState(before: SessionState, after: SessionState): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((name) => before.get(name) !== after.get(name)).sort();
}
