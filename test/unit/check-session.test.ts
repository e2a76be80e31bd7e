import { describe, expect, it } from "vitest";
import { checkConnectionSettings } from "../../src/check.js";
import { clientConfig } from "../../src/db/connect.js";

/** check only reads: its session is opened read-only, whatever the URL asks for. */
describe("check's session", () => {
  const connection = (url: string) => ({
    url,
    tls: "disable" as const,
    connectTimeoutMs: 1_000,
    statementTimeoutMs: 30_000,
    lockTimeoutMs: 5_000,
  });

  it("is read-only and named booksnap-check", () => {
    const config = clientConfig(
      checkConnectionSettings(connection("postgresql://dev@localhost:5432/books_dev")),
    );
    expect(config.options).toBe("-c default_transaction_read_only=on");
    expect(config.application_name).toBe("booksnap-check");
  });

  it("drops URL parameters that would undo it", () => {
    const url =
      "postgresql://dev@localhost:5432/books_dev?options=-c%20default_transaction_read_only%3Doff&application_name=x";
    const settings = checkConnectionSettings(connection(url));
    expect(settings.url).not.toContain("options=");
    expect(settings.url).not.toContain("application_name=");
    const config = clientConfig(settings);
    expect(config.options).toBe("-c default_transaction_read_only=on");
    expect(config.application_name).toBe("booksnap-check");
  });
});
