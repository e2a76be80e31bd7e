import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Argv } from "yargs";
import type { Environment } from "../config/env.js";
import { UsageError } from "../errors.js";
import {
  defaultIdentityPath,
  parseRecipient,
  readIdentityFile,
  readRecipientsFile,
} from "../snapshot/age-keys.js";
import {
  type AgeEncryptionKeys,
  DEFAULT_PASSPHRASE_ENV,
  type DecryptionKeys,
  passphraseFromEnv,
} from "../snapshot/encryption.js";

/** Flags of commands that read snapshots: import, verify, list --verify. */
export interface DecryptionArgs {
  identity?: string[];
  "passphrase-env": string;
}

/** Flags of export that choose how the data file is encrypted. */
export interface EncryptionArgs {
  recipient?: string[];
  "recipients-file"?: string[];
  encrypt: boolean;
  "passphrase-env": string;
}

export function withDecryptionOptions<T>(yargs: Argv<T>): Argv<T> {
  return yargs
    .option("identity", {
      type: "string",
      array: true,
      describe:
        "age private key file for snapshots encrypted for recipients; repeatable (default ~/.config/booksnap/key.txt)",
    })
    .option("passphrase-env", {
      type: "string",
      default: DEFAULT_PASSPHRASE_ENV,
      describe: "Environment variable holding the passphrase of a passphrase-encrypted snapshot",
    });
}

export function withEncryptionOptions<T>(yargs: Argv<T>): Argv<T> {
  return yargs
    .option("recipient", {
      type: "string",
      array: true,
      describe: "Encrypt for this age public key (age1…); repeatable",
    })
    .option("recipients-file", {
      type: "string",
      array: true,
      describe: "Encrypt for every public key in this file (one per line, # comments); repeatable",
    })
    .option("encrypt", {
      type: "boolean",
      default: false,
      describe: "Encrypt with a passphrase instead (age scrypt; passphrase from --passphrase-env)",
    })
    .option("passphrase-env", {
      type: "string",
      default: DEFAULT_PASSPHRASE_ENV,
      describe: "Environment variable holding the --encrypt passphrase (never a flag value)",
    });
}

/**
 * The keys a reader may decrypt with: the --identity files (or the default key file, when it
 * exists) and the passphrase variable when it is set. Which one a snapshot needs is decided
 * by its manifest; nothing here is required.
 */
export async function resolveDecryptionKeys(
  args: DecryptionArgs,
  env: Environment,
  cwd: string,
): Promise<DecryptionKeys> {
  const fallback = defaultIdentityPath(env);
  const paths = args.identity?.length
    ? args.identity.map((path) => resolve(cwd, path))
    : existsSync(fallback)
      ? [fallback]
      : [];
  const identities: string[] = [];
  for (const path of paths) identities.push(...(await readIdentityFile(path)));
  const passphrase = env[args["passphrase-env"]] ? passphraseFromEnv(env, args["passphrase-env"]) : undefined;
  return passphrase === undefined ? { identities } : { identities, passphrase };
}

/** How export encrypts: recipients (--recipient, --recipients-file), a passphrase (--encrypt), or not at all. */
export async function resolveEncryptionKeys(
  args: EncryptionArgs,
  env: Environment,
  cwd: string,
): Promise<AgeEncryptionKeys | undefined> {
  const recipients = (args.recipient ?? []).map((value) => parseRecipient(value));
  for (const file of args["recipients-file"] ?? [])
    recipients.push(...(await readRecipientsFile(resolve(cwd, file))));
  if (recipients.length > 0 && args.encrypt) {
    throw new UsageError("Choose either recipients (--recipient, --recipients-file) or --encrypt, not both", {
      code: "E_RECIPIENT",
      hint: "Recipients need no shared secret; --encrypt is for one-off sharing with a passphrase.",
    });
  }
  if (recipients.length > 0) return { recipients: [...new Set(recipients)] };
  return args.encrypt ? { passphrase: passphraseFromEnv(env, args["passphrase-env"]) } : undefined;
}
