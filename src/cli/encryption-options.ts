import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Argv } from "yargs";
import { assertVariableName, type Environment } from "../config/env.js";
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
  const passphraseEnv = assertVariableName(args["passphrase-env"], "--passphrase-env");
  const passphrase = env[passphraseEnv] ? passphraseFromEnv(env, passphraseEnv) : undefined;
  const identities: string[] = [];
  let defaultIdentityError: unknown;
  if (args.identity?.length) {
    for (const path of args.identity) identities.push(...(await readIdentityFile(resolve(cwd, path))));
  } else if (existsSync(defaultIdentityPath(env))) {
    try {
      identities.push(...(await readIdentityFile(defaultIdentityPath(env))));
    } catch (error) {
      defaultIdentityError = error;
    }
  }
  const keys: DecryptionKeys =
    defaultIdentityError === undefined ? { identities } : { identities, defaultIdentityError };
  return passphrase === undefined ? keys : { ...keys, passphrase };
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
