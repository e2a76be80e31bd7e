import type { Duplex, Transform } from "node:stream";
import { z } from "zod";
import { assertVariableName } from "../config/env.js";
import { UsageError } from "../errors.js";
import {
  type AgeEncryptionKeys,
  createAgeDecryptStream,
  createAgeEncryptStream,
  type DecryptionKeys,
} from "./age-stream.js";
import { createLegacyDecryptStream, LEGACY_ENCRYPTION_SCHEME } from "./legacy-aes-gcm.js";

/**
 * The one place that maps a snapshot's `data.encryption` manifest entry to the stream that
 * encrypts or decrypts its bytes. Exports write age files; readers also accept the retired
 * AES-GCM format of older snapshots.
 */

/** Default environment variable holding the passphrase; a passphrase is never a flag value. */
export const DEFAULT_PASSPHRASE_ENV = "BOOKSNAP_PASSPHRASE";

// Discriminated by `scheme`, then `mode`: a refusal names the field that is wrong.
const ageEncryptionSchema = z.discriminatedUnion("mode", [
  z
    .object({
      /** age v1 (https://age-encryption.org/v1): `age -d` decrypts the data file. */
      scheme: z.literal("age"),
      /** Encrypted for these public keys; any one matching identity decrypts. */
      mode: z.literal("recipients"),
      recipients: z.array(z.string().regex(/^age1[0-9a-z]+$/)).min(1),
    })
    .strict(),
  z
    .object({
      scheme: z.literal("age"),
      /** Encrypted with a passphrase through age's scrypt recipient. */
      mode: z.literal("passphrase"),
    })
    .strict(),
]);

/** Manifest `data.encryption`. Public information only: never a passphrase or an identity. */
export const encryptionSchema = z.discriminatedUnion("scheme", [
  ageEncryptionSchema,
  z
    .object({
      /** Retired format of booksnap 0.1 (read-only support, see legacy-aes-gcm.ts). */
      scheme: z.literal(LEGACY_ENCRYPTION_SCHEME),
      kdf: z.literal("scrypt"),
      kdfParams: z.object({ N: z.number().int(), r: z.number().int(), p: z.number().int() }).strict(),
      chunkBytes: z.number().int().positive(),
    })
    .strict(),
]);

export type SnapshotEncryption = z.infer<typeof encryptionSchema>;

/** The manifest entry for data encrypted with these keys. */
export function describeEncryption(keys: AgeEncryptionKeys): SnapshotEncryption {
  return "passphrase" in keys
    ? { scheme: "age", mode: "passphrase" }
    : { scheme: "age", mode: "recipients", recipients: [...keys.recipients] };
}

/** Encrypts the compressed data on its way to storage. */
export function createEncryptStream(keys: AgeEncryptionKeys): Duplex {
  return createAgeEncryptStream(keys);
}

/** Decrypts data described by `encryption` before it is decompressed. */
export function createDecryptStream(
  encryption: SnapshotEncryption,
  keys: DecryptionKeys,
): Duplex | Transform {
  assertKeysFor(encryption, keys);
  if (encryption.scheme === LEGACY_ENCRYPTION_SCHEME) {
    return createLegacyDecryptStream({ passphrase: keys.passphrase as string });
  }
  return createAgeDecryptStream(keys);
}

/**
 * Refuses early, before any database work, when the reader holds no key of the kind the
 * snapshot needs (exit 2). A key of the right kind that does not fit fails later as E_DECRYPT.
 */
export function assertKeysFor(encryption: SnapshotEncryption, keys: DecryptionKeys | undefined): void {
  const needsIdentity = encryption.scheme === "age" && encryption.mode === "recipients";
  if (needsIdentity && (keys?.identities.length ?? 0) === 0) {
    if (keys?.defaultIdentityError !== undefined) throw keys.defaultIdentityError;
    throw new UsageError("This snapshot is encrypted for recipients' public keys and no identity was given", {
      code: "E_NO_IDENTITY",
      hint: "Pass your private key file with --identity (default ~/.config/booksnap/key.txt, made by 'booksnap keygen').",
    });
  }
  if (!needsIdentity && keys?.passphrase === undefined) {
    throw new UsageError("This snapshot is encrypted with a passphrase and none was provided", {
      code: "E_NO_PASSPHRASE",
      hint: `Set ${DEFAULT_PASSPHRASE_ENV} (or the variable named by --passphrase-env) to the passphrase used at export.`,
    });
  }
}

/** Reads the passphrase from the named environment variable; refuses a missing or empty one. */
export function passphraseFromEnv(env: Readonly<Record<string, string | undefined>>, name: string): string {
  const value = env[assertVariableName(name, "--passphrase-env")];
  if (value === undefined || value === "") {
    throw new UsageError(`The snapshot passphrase variable ${name} is not set`, {
      code: "E_NO_PASSPHRASE",
      hint: `Set ${name} in the environment (or name another variable with --passphrase-env). A passphrase is never accepted as a flag value, so it does not end up in shell history.`,
    });
  }
  return value;
}

export type { AgeEncryptionKeys, DecryptionKeys };
