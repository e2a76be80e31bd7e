/**
 * Upper bound of every timeout: PostgreSQL's timeout settings are int4 milliseconds
 * (statement_timeout, lock_timeout… reject more), and Node's setTimeout fires at once for a delay
 * above 2^31-1 ms. Flags are checked against it up front; derived timeouts are clamped to it.
 */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/** A derived timeout (a multiple of a flag, a flag plus a margin), kept within MAX_TIMEOUT_MS. */
export function clampTimeout(ms: number): number {
  return Math.min(ms, MAX_TIMEOUT_MS);
}
