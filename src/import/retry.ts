import { isTransientError } from "../db/connect.js";

/** How failed batches are retried. */
export interface RetryPolicy {
  /** Attempts after the first (--max-retries, SYNC_MAX_RETRIES). */
  maxRetries: number;
  /** First delay; doubles on every attempt (tests use a few ms). */
  baseDelayMs: number;
  /** Ceiling for one delay. */
  maxDelayMs: number;
  /** Jitter source; Math.random by default. */
  random?: () => number;
}

/** Defaults: 3 retries (the old script's users asked for "a few"), 500 ms doubling to at most 10 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 3, baseDelayMs: 500, maxDelayMs: 10_000 };

/** Exponential backoff with "equal jitter": half fixed, half random, so retrying clients spread out. */
export function backoffDelay(attempt: number, policy: RetryPolicy): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const random = policy.random ?? Math.random;
  return Math.round(exp / 2 + (random() * exp) / 2);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work`, retrying transient failures (isTransientError) up to policy.maxRetries times.
 * `recover` runs before each retry (reconnect); everything else is rethrown at once.
 */
export async function withRetries<T>(
  work: () => Promise<T>,
  policy: RetryPolicy,
  hooks: { recover: () => Promise<void>; onRetry?: (error: unknown, attempt: number) => void },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isTransientError(error) || attempt > policy.maxRetries) throw error;
      hooks.onRetry?.(error, attempt);
      await sleep(backoffDelay(attempt, policy));
      // Reconnecting may itself fail transiently: the next loop turn counts it as an attempt.
      try {
        await hooks.recover();
      } catch (recoverError) {
        if (!isTransientError(recoverError) || attempt + 1 > policy.maxRetries) throw recoverError;
      }
    }
  }
}
