import { S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { InterruptedError, isBooksnapError, StoreError, UsageError } from "../errors.js";
import type { StoreSettings } from "./settings.js";

export function createStoreClient(settings: StoreSettings): S3Client {
  return new S3Client({
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    forcePathStyle: settings.forcePathStyle,
    maxAttempts: settings.maxAttempts,
    retryMode: "standard",
    requestHandler: { connectionTimeout: settings.idleTimeoutMs, socketTimeout: settings.idleTimeoutMs },
  });
}

/** What a failed request was about, for the message: "reading s3://team/prod/x.manifest.json". */
export interface StoreRequestContext {
  doing: string;
  /** Bucket of the request, named in messages. */
  bucket: string;
  signal?: AbortSignal | undefined;
}

/**
 * The one classifier of store failures. Messages name the bucket and what was being done, never
 * the request URL (signed URLs carry X-Amz-Credential / X-Amz-Signature).
 */
export function classifyStoreError(error: unknown, context: StoreRequestContext): Error {
  if (isBooksnapError(error)) return error;
  if (context.signal?.aborted)
    return new InterruptedError(`Interrupted while ${context.doing}.`, { cause: error });
  const name = (error as { name?: string; Code?: string } | undefined)?.name ?? "";
  const code = (error as { Code?: string } | undefined)?.Code ?? name;
  const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
  const where = `bucket '${context.bucket}'`;
  const details = { s3Error: code, ...(status ? { httpStatus: status } : {}) };
  const make = (errorCode: string, message: string, hint: string) =>
    new StoreError(errorCode, message, { cause: error, hint, details });
  if (code === "NoSuchBucket") {
    return make(
      "E_STORE_NO_BUCKET",
      `The ${where} does not exist (${context.doing})`,
      "Check the bucket name in the s3:// URL, and --endpoint.",
    );
  }
  if (code === "PreconditionFailed" || status === 412) {
    return new UsageError(`An object of that name already exists in ${where} (${context.doing})`, {
      code: "E_SNAPSHOT_EXISTS",
      cause: error,
      hint: "Another export of the same name finished first; choose another --name.",
    });
  }
  if (code === "AccessDenied" || code === "Forbidden" || code === "AllAccessDisabled" || status === 403) {
    if (code === "InvalidAccessKeyId" || code === "SignatureDoesNotMatch") {
      return make(
        "E_STORE_CREDENTIALS",
        `The store rejected the credentials (${context.doing})`,
        CREDENTIALS_HINT,
      );
    }
    return make(
      "E_STORE_ACCESS_DENIED",
      `Access denied to ${where} (${context.doing})`,
      "The credentials in use lack the permission; see docs/security.md for the policy booksnap needs.",
    );
  }
  if (
    code === "InvalidAccessKeyId" ||
    code === "SignatureDoesNotMatch" ||
    code === "ExpiredToken" ||
    code === "InvalidToken"
  ) {
    return make(
      "E_STORE_CREDENTIALS",
      `The store rejected the credentials (${context.doing}: ${code})`,
      CREDENTIALS_HINT,
    );
  }
  if (
    name === "CredentialsProviderError" ||
    /Could not load credentials/i.test(String((error as Error)?.message))
  ) {
    return make("E_STORE_NO_CREDENTIALS", `No store credentials found (${context.doing})`, CREDENTIALS_HINT);
  }
  if (
    code === "PermanentRedirect" ||
    code === "AuthorizationHeaderMalformed" ||
    code === "IllegalLocationConstraintException" ||
    status === 301
  ) {
    return make(
      "E_STORE_WRONG_REGION",
      `The ${where} is in another region (${context.doing})`,
      "Set AWS_REGION to the bucket's region.",
    );
  }
  if (/Region is missing/i.test(String((error as Error)?.message))) {
    return make(
      "E_STORE_NO_REGION",
      `No store region configured (${context.doing})`,
      "Set AWS_REGION (or a region in your AWS profile).",
    );
  }
  if (status !== undefined && status >= 500) {
    return make(
      "E_STORE_UNAVAILABLE",
      `The store kept failing (${context.doing}: HTTP ${status} ${code})`,
      "The store is unavailable or throttling; try again later.",
    );
  }
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  if ((typeof errno === "string" && /^E[A-Z]+$/.test(errno)) || name === "TimeoutError") {
    return make(
      "E_STORE_UNREACHABLE",
      `Cannot reach the store (${context.doing}: ${errno ?? name})`,
      "Check --endpoint / AWS_ENDPOINT_URL_S3 and the network.",
    );
  }
  return make(
    "E_STORE_FAILED",
    `The store request failed (${context.doing}: ${code || "unknown error"})`,
    "Run again with --verbose for the store's answer.",
  );
}

const CREDENTIALS_HINT =
  "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), as for the aws CLI.";

/** Runs one store request, turning its failure into a classified error. */
export async function storeRequest<T>(context: StoreRequestContext, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw classifyStoreError(error, context);
  }
}

/** True for "the object is not there" (404 on GET/HEAD). */
export function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return (
    name === "NoSuchKey" ||
    name === "NotFound" ||
    (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404 && name !== "NoSuchBucket")
  );
}
