import { describe, expect, it } from "vitest";
import { clientConfig } from "../../src/db/connect.js";
import { exportConnectionSettings } from "../../src/export/export.js";

/**
 * The driver settings of the export session, field by field: written against mutants that
 * survived the read-only session tests (docs/security.md, "Mutation testing").
 */
const base = {
  tls: "auto" as const,
  connectTimeoutMs: 1_000,
  statementTimeoutMs: 2_000,
  lockTimeoutMs: 3_000,
};

describe("the export session's driver settings", () => {
  it("bound every statement, lock wait and idle transaction, and keep the socket alive", () => {
    const config = clientConfig(exportConnectionSettings({ ...base, url: "postgresql://u@127.0.0.1/books" }));
    expect(config.statement_timeout).toBe(2_000);
    expect(config.lock_timeout).toBe(3_000);
    // Idle in a transaction for twice the statement timeout: the session is gone, not held open.
    expect(config.idle_in_transaction_session_timeout).toBe(4_000);
    expect(config.keepAlive).toBe(true);
  });

  it("send no timeout at all when a timeout is 0 (disabled)", () => {
    const config = clientConfig(
      exportConnectionSettings({
        ...base,
        statementTimeoutMs: 0,
        lockTimeoutMs: 0,
        url: "postgresql://u@127.0.0.1/b",
      }),
    );
    expect(config.statement_timeout).toBeUndefined();
    expect(config.lock_timeout).toBeUndefined();
    expect(config.idle_in_transaction_session_timeout).toBeUndefined();
  });

  it("pass the password only when there is one", () => {
    const settings = (url: string) => clientConfig(exportConnectionSettings({ ...base, url }));
    expect(settings("postgresql://u:pw@127.0.0.1/books").password).toBe("pw");
    expect("password" in settings("postgresql://u@127.0.0.1/books")).toBe(false);
  });

  it("check the server certificate for verify-full only", () => {
    const ssl = (tls: "require" | "verify-full") =>
      clientConfig(exportConnectionSettings({ ...base, tls, url: "postgresql://u@db.example.com/books" }))
        .ssl;
    expect(ssl("require")).toEqual({ rejectUnauthorized: false });
    expect(ssl("verify-full")).toEqual({ rejectUnauthorized: true });
  });

  it("keep a URL without session overrides exactly as given", () => {
    const url = "postgresql://u@127.0.0.1:5432/books?sslmode=require&keepalives=1";
    expect(exportConnectionSettings({ ...base, url }).url).toBe(url);
  });
});
