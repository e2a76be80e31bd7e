import type { Environment } from "../config/env.js";
import { UsageError } from "../errors.js";

/**
 * How booksnap reaches a snapshot store. Resolved once per command from flags and the standard
 * AWS environment (profiles and the rest of the credential chain are the SDK's own).
 */
export interface StoreSettings {
  /** Custom endpoint (MinIO, R2, Garage, GCS, moto…); undefined = AWS S3. */
  endpoint: string | undefined;
  /** Region; undefined leaves it to the SDK (AWS_PROFILE's config file). */
  region: string | undefined;
  /** Path-style addressing (bucket in the path): on for custom endpoints, where it always works. */
  forcePathStyle: boolean;
  /** Static credentials from the environment (or --env-file); undefined = the SDK's default chain. */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  /** Attempts per request, first included: the SDK retries throttling, 5xx and connection resets with backoff. */
  maxAttempts: number;
  /** A connection or response silent this long fails the attempt (retried): a stalled store never hangs booksnap. */
  idleTimeoutMs: number;
}

/** Attempts per store request (SDK default 3; a transfer of a large snapshot deserves a few more). */
export const DEFAULT_STORE_ATTEMPTS = 5;

/** Silence allowed on a store connection (ms): generous next to an 8 MiB part on a slow uplink. */
export const DEFAULT_STORE_IDLE_TIMEOUT_MS = 60_000;

/**
 * Flags → BOOKSNAP_S3_ENDPOINT → the SDK's standard AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL;
 * region from AWS_REGION / AWS_DEFAULT_REGION (us-east-1 for custom endpoints without one, as
 * MinIO, R2 and moto expect).
 */
export function resolveStoreSettings(
  env: Environment,
  flags: { endpoint?: string | undefined },
): StoreSettings {
  const endpoint =
    flags.endpoint ||
    env.BOOKSNAP_S3_ENDPOINT ||
    env.AWS_ENDPOINT_URL_S3 ||
    env.AWS_ENDPOINT_URL ||
    undefined;
  if (endpoint !== undefined) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(endpoint);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.username || parsed.password) {
      throw new UsageError("The store endpoint is not an http(s) URL without credentials", {
        code: "E_STORE_ENDPOINT",
        hint: "Use e.g. --endpoint https://minio.internal:9000; credentials go in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.",
      });
    }
  }
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || (endpoint ? "us-east-1" : undefined);
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  return {
    endpoint,
    region,
    forcePathStyle: endpoint !== undefined,
    credentials:
      accessKeyId && secretAccessKey
        ? {
            accessKeyId,
            secretAccessKey,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          }
        : undefined,
    maxAttempts: DEFAULT_STORE_ATTEMPTS,
    idleTimeoutMs: DEFAULT_STORE_IDLE_TIMEOUT_MS,
  };
}

/** The secrets of a store configuration, for the output's redaction list. */
export function storeSecrets(env: Environment): string[] {
  return [env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN].filter(
    (value): value is string => typeof value === "string" && value.length >= 8,
  );
}
