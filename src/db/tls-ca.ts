import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../errors.js";
import { resolveTlsMode, type TlsMode } from "./connect.js";

/** libpq's variable for the trusted root certificates; honoured like --tls-ca. */
export const ROOT_CERT_ENV = "PGSSLROOTCERT";

/**
 * The PEM certificates to trust for `verify-full` (a private CA, as on a bastion), from --tls-ca or
 * PGSSLROOTCERT. The flag only makes sense when the certificate is checked, so it is refused with
 * another mode rather than silently ignored; the variable only applies when the mode is verify-full.
 */
export function loadTlsCa(options: {
  flag: string | undefined;
  env: string | undefined;
  url: string;
  tls: TlsMode;
  cwd: string;
}): string | undefined {
  const verifying = resolveTlsMode(options.url, options.tls) === "verify-full";
  if (options.flag !== undefined && !verifying) {
    throw new UsageError("--tls-ca only applies when the server certificate is verified.", {
      code: "E_TLS_CA",
      hint: "Add --tls verify-full (or sslmode=verify-full in the URL) to check the certificate against that CA.",
    });
  }
  const file = options.flag ?? (verifying ? options.env : undefined);
  if (!file) return undefined;
  const source = options.flag !== undefined ? "--tls-ca" : ROOT_CERT_ENV;
  let text: string;
  try {
    text = readFileSync(resolve(options.cwd, file), "utf8");
  } catch (error) {
    throw new UsageError(
      `Cannot read the CA certificate file ${file} (${source}): ${(error as Error).message}`,
      {
        code: "E_TLS_CA",
        hint: "Give the PEM file of the CA that signed the server certificate.",
      },
    );
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    throw new UsageError(`${file} (${source}) holds no PEM certificate.`, {
      code: "E_TLS_CA",
      hint: "Give the CA certificate in PEM form (-----BEGIN CERTIFICATE-----).",
    });
  }
  return text;
}
