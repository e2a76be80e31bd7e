import { S3ServiceException } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { classifyStoreError } from "../../src/store/s3-client.js";
import { dataKey, manifestKey, parseStorePrefix, parseStoreSnapshotRef } from "../../src/store/s3-url.js";
import { resolveStoreSettings } from "../../src/store/settings.js";

describe("store URLs", () => {
  it("parses a folder of snapshots", () => {
    expect(parseStorePrefix("s3://team-snaps")).toEqual({ bucket: "team-snaps", prefix: "" });
    expect(parseStorePrefix("s3://team-snaps/prod/eu/")).toEqual({ bucket: "team-snaps", prefix: "prod/eu" });
  });

  it("parses a snapshot, with or without a file suffix, and latest", () => {
    expect(parseStoreSnapshotRef("s3://b1x/prod/monday")).toEqual({
      bucket: "b1x",
      prefix: "prod",
      name: "monday",
    });
    expect(parseStoreSnapshotRef("s3://b1x/monday.manifest.json")).toEqual({
      bucket: "b1x",
      prefix: "",
      name: "monday",
    });
    const ref = parseStoreSnapshotRef("s3://b1x/a/b/latest");
    expect(ref.name).toBe("latest");
    expect(manifestKey({ ...ref, name: "x" })).toBe("a/b/x.manifest.json");
    expect(dataKey({ ...ref, name: "x" })).toBe("a/b/x.ndjson.zst");
  });

  it("refuses hostile or malformed URLs", () => {
    for (const bad of [
      "s3://",
      "s3://UPPER/x",
      "s3://b1x/../etc",
      "s3://b1x/a//b",
      "s3://b1x/a/%2e%2e",
      "http://b1x/a",
      "s3://b1x/a\nb",
    ]) {
      expect(() => parseStorePrefix(bad), bad).toThrow(/Not a usable store URL/);
    }
    expect(() => parseStoreSnapshotRef("s3://b1x/")).toThrow(/names no snapshot/);
  });
});

describe("store settings", () => {
  it("takes the endpoint from the flag, then BOOKSNAP_S3_ENDPOINT, then the AWS variables; path style with one", () => {
    const env = { AWS_ENDPOINT_URL_S3: "http://s3.local:9000", AWS_ENDPOINT_URL: "http://other:1" };
    expect(resolveStoreSettings(env, {})).toMatchObject({
      endpoint: "http://s3.local:9000",
      forcePathStyle: true,
      region: "us-east-1",
    });
    expect(resolveStoreSettings({ ...env, BOOKSNAP_S3_ENDPOINT: "http://b:2" }, {}).endpoint).toBe(
      "http://b:2",
    );
    expect(resolveStoreSettings(env, { endpoint: "https://r2.example" }).endpoint).toBe("https://r2.example");
    expect(resolveStoreSettings({ AWS_REGION: "eu-west-1" }, {})).toMatchObject({
      endpoint: undefined,
      forcePathStyle: false,
      region: "eu-west-1",
      credentials: undefined,
    });
  });

  it("refuses an endpoint carrying credentials", () => {
    expect(() => resolveStoreSettings({}, { endpoint: "http://key:secret@minio:9000" })).toThrow(
      /without credentials/,
    );
  });
});

describe("classifyStoreError", () => {
  const s3Error = (name: string, status: number) =>
    new S3ServiceException({ name, $fault: "client", $metadata: { httpStatusCode: status }, message: name });
  const classify = (error: unknown) =>
    classifyStoreError(error, { doing: "listing", bucket: "b1x" }) as unknown as {
      code: string;
      exitCode: number;
    };

  it.each([
    ["NoSuchBucket", 404, "E_STORE_NO_BUCKET", 10],
    ["AccessDenied", 403, "E_STORE_ACCESS_DENIED", 10],
    ["InvalidAccessKeyId", 403, "E_STORE_CREDENTIALS", 10],
    ["SignatureDoesNotMatch", 403, "E_STORE_CREDENTIALS", 10],
    ["PermanentRedirect", 301, "E_STORE_WRONG_REGION", 10],
    ["AuthorizationHeaderMalformed", 400, "E_STORE_WRONG_REGION", 10],
    ["SlowDown", 503, "E_STORE_UNAVAILABLE", 10],
    ["PreconditionFailed", 412, "E_SNAPSHOT_EXISTS", 2],
  ])("%s (HTTP %d) → %s", (name, status, code, exit) => {
    expect(classify(s3Error(name, status))).toMatchObject({ code, exitCode: exit });
  });

  it("network and credential-chain failures", () => {
    expect(classify(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })).code).toBe(
      "E_STORE_UNREACHABLE",
    );
    expect(
      classify(
        Object.assign(new Error("Could not load credentials from any providers"), {
          name: "CredentialsProviderError",
        }),
      ).code,
    ).toBe("E_STORE_NO_CREDENTIALS");
  });
});
