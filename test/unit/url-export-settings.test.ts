import { describe, expect, it } from "vitest";
import { clientConfig } from "../../src/db/connect.js";
import { redactSecrets, sanitizeUrl } from "../../src/db/url.js";
import { exportConnectionSettings } from "../../src/export/export.js";

const base = {
  tls: "auto" as const,
  connectTimeoutMs: 1_000,
  statementTimeoutMs: 2_000,
  lockTimeoutMs: 3_000,
};

describe("export connection settings", () => {
  it("are always read-only as booksnap-export, with the given timeouts", () => {
    const settings = exportConnectionSettings({ ...base, url: "postgresql://u:pw@db.internal:5432/books" });
    expect(settings).toMatchObject({
      readOnly: true,
      applicationName: "booksnap-export",
      statementTimeoutMs: 2_000,
    });
    const config = clientConfig(settings);
    expect(config.options).toBe("-c default_transaction_read_only=on");
    expect(config.tls).toBe("require"); // not loopback: TLS required unless waived
  });

  it("drop URL parameters that node-postgres would let override the session settings", () => {
    const url =
      "postgresql://u:pw@127.0.0.1/books?options=-c%20default_transaction_read_only%3Doff&application_name=x&statement_timeout=0&sslmode=disable&keepalives=1";
    const settings = exportConnectionSettings({ ...base, url });
    const kept = new URL(settings.url);
    for (const key of ["options", "application_name", "statement_timeout"])
      expect(kept.searchParams.has(key)).toBe(false);
    expect(kept.searchParams.get("keepalives")).toBe("1");
    expect(kept.password).toBe("pw");
  });

  it("leave a URL without such parameters untouched (byte for byte, so redaction still matches it)", () => {
    const url = "postgresql://u:p%40ss@127.0.0.1:5433/books?api_key=abc123";
    expect(exportConnectionSettings({ ...base, url }).url).toBe(url);
  });
});

describe("connection string sanitizing", () => {
  it("hides the password and secret parameters but keeps where it points", () => {
    const url =
      "postgresql://reader:Kn0wn-Pa55word@db.internal:5432/books?api_key=Kn0wn-Pa55word&sslmode=require";
    const safe = sanitizeUrl(url);
    expect(safe).not.toContain("Kn0wn-Pa55word");
    expect(safe).toContain("reader:***@db.internal:5432/books");
    expect(safe).toContain("sslmode=require");
  });

  it("removes the secrets from free text that echoes them (driver messages)", () => {
    const url = "postgresql://reader:s%3Ccret-pw@db/books?token=tok-123456";
    const text = `failed for ${url}: password "s<cret-pw" rejected, token tok-123456`;
    const clean = redactSecrets(text, [url]);
    expect(clean).not.toMatch(/s<cret-pw|s%3Ccret-pw|tok-123456/);
  });
});
