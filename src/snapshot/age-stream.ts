import { Duplex } from "node:stream";
import { Decrypter, Encrypter } from "age-encryption";
import { BooksnapError, SnapshotIntegrityError, UsageError } from "../errors.js";
import { ScryptIdentity, ScryptRecipient } from "./age-scrypt.js";

/**
 * Snapshot encryption in the standard age v1 format (https://age-encryption.org/v1), so that
 * `age -d` can open any encrypted snapshot. Both directions are byte-stream transforms that know
 * nothing about where the bytes live (local file, object store): place encryption after zstd,
 * decryption before it. The age-encryption library streams in 64 KiB STREAM chunks, so memory
 * stays flat whatever the file size.
 */

/** How an export encrypts: for teammates' public keys, or with one passphrase (age's scrypt recipient). */
export type AgeEncryptionKeys =
  | { recipients: readonly string[] }
  | {
      passphrase: string;
      /** log2 of scrypt's N; default AGE_SCRYPT_WORK_FACTOR. Tests lower it to save time. */
      scryptWorkFactor?: number;
    };

/** What a reader may decrypt with. Identities are secret: never printed, logged or stored. */
export interface DecryptionKeys {
  /** age identities (`AGE-SECRET-KEY-1…`), from --identity files. */
  identities: readonly string[];
  /** Passphrase for passphrase-encrypted snapshots (age scrypt, or the old AES-GCM format). */
  passphrase?: string;
  /**
   * Why the default key file (not named by --identity) could not be read. Kept, not thrown: it
   * matters only for a snapshot encrypted for recipients, never for a plain one.
   */
  defaultIdentityError?: unknown;
}

/** scrypt work factor the age CLI uses by default (age 1.1: logN 18, 256 MiB, about a second). */
export const AGE_SCRYPT_WORK_FACTOR = 18;
/** The header is untrusted: refuse more than 2^20 (1 GiB of scrypt memory; age-encryption's own cap too). */
export const MAX_SCRYPT_WORK_FACTOR = 20;
/** An X25519 stanza takes about 130 bytes: this leaves room for hundreds of recipients. */
const MAX_HEADER_BYTES = 256 * 1024;
const AGE_VERSION_LINE = "age-encryption.org/v1";
/** The library's message when no identity unwraps the file key (wrong key or passphrase). */
const NO_MATCH_MESSAGE = "no identity matched";

/** A Transform-like Duplex that age-encrypts what passes through it. */
export function createAgeEncryptStream(keys: AgeEncryptionKeys): Duplex {
  const encrypter = new Encrypter();
  if ("passphrase" in keys) {
    if (!keys.passphrase)
      throw new UsageError("An empty passphrase cannot encrypt", { code: "E_NO_PASSPHRASE" });
    encrypter.addRecipient(
      new ScryptRecipient(keys.passphrase, keys.scryptWorkFactor ?? AGE_SCRYPT_WORK_FACTOR),
    );
  } else {
    if (keys.recipients.length === 0)
      throw new UsageError("No recipient to encrypt for", { code: "E_RECIPIENT" });
    for (const recipient of keys.recipients) encrypter.addRecipient(recipient);
  }
  const plaintext = new TransformStream<Uint8Array, Uint8Array>();
  return Duplex.fromWeb({
    readable: lazyReadable(
      () => encrypter.encrypt(plaintext.readable),
      (error) => error,
    ),
    writable: plaintext.writable,
  });
}

/**
 * A Duplex that decrypts and authenticates an age file. The header is read first (bounded) to
 * refuse an excessive scrypt work factor and to say which key is missing; nothing that fails
 * authentication is passed on (the library releases each chunk only after its tag checks).
 */
export function createAgeDecryptStream(keys: DecryptionKeys): Duplex {
  const ciphertext = new TransformStream<Uint8Array, Uint8Array>();
  let headerDone = false;
  const open = async (): Promise<ReadableStream<Uint8Array>> => {
    const reader = ciphertext.readable.getReader();
    const header = await readHeader(reader);
    checkHeader(header.stanzaTypes, header.scryptWorkFactors, keys);
    const decrypter = new Decrypter();
    for (const identity of keys.identities) decrypter.addIdentity(identity);
    if (keys.passphrase !== undefined && header.stanzaTypes.includes("scrypt")) {
      decrypter.addIdentity(new ScryptIdentity(keys.passphrase, MAX_SCRYPT_WORK_FACTOR));
    }
    const plaintext = await decrypter.decrypt(prepend(header.bytes, reader));
    headerDone = true;
    return plaintext;
  };
  return Duplex.fromWeb({
    readable: lazyReadable(open, (error) => classifyDecryptError(error, headerDone, keys)),
    writable: ciphertext.writable,
  });
}

interface AgeHeader {
  /** The header bytes read so far, including the start of the payload. */
  bytes: Uint8Array;
  stanzaTypes: string[];
  scryptWorkFactors: number[];
}

async function readHeader(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<AgeHeader> {
  let bytes: Uint8Array = new Uint8Array(0);
  for (;;) {
    const end = headerEnd(bytes);
    if (end !== undefined)
      return { bytes, ...parseStanzaLines(Buffer.from(bytes.subarray(0, end)).toString("latin1")) };
    if (bytes.length > MAX_HEADER_BYTES)
      throw headerError(`The age header is longer than ${MAX_HEADER_BYTES} bytes`);
    const next = await reader.read();
    if (next.done) {
      if (bytes.length === 0)
        throw new SnapshotIntegrityError("E_DECRYPT_TRUNCATED", "The encrypted data file is empty");
      throw headerError("The encrypted data file ends inside its age header");
    }
    bytes = Buffer.concat([bytes, next.value]);
    if (
      bytes.length >= AGE_VERSION_LINE.length &&
      !Buffer.from(bytes).toString("latin1").startsWith(AGE_VERSION_LINE)
    ) {
      throw headerError("The data file is not an age-encrypted file");
    }
  }
}

/** Offset just past the header's MAC line ("--- <mac>\n"), once it has arrived. */
function headerEnd(bytes: Uint8Array): number | undefined {
  const text = Buffer.from(bytes).toString("latin1");
  const macLine = text.startsWith("---") ? 0 : text.indexOf("\n---");
  if (macLine === -1) return undefined;
  const newline = text.indexOf("\n", macLine + 1);
  return newline === -1 ? undefined : newline + 1;
}

function parseStanzaLines(header: string): Pick<AgeHeader, "stanzaTypes" | "scryptWorkFactors"> {
  const stanzaTypes: string[] = [];
  const scryptWorkFactors: number[] = [];
  for (const line of header.split("\n")) {
    if (!line.startsWith("-> ")) continue;
    const args = line.slice(3).split(" ");
    stanzaTypes.push(args[0] ?? "");
    if (args[0] === "scrypt") scryptWorkFactors.push(Number(args[2]));
  }
  return { stanzaTypes, scryptWorkFactors };
}

function checkHeader(stanzaTypes: string[], workFactors: number[], keys: DecryptionKeys): void {
  const tooHigh = workFactors.find((logN) => !(logN <= MAX_SCRYPT_WORK_FACTOR));
  if (tooHigh !== undefined) {
    throw new SnapshotIntegrityError(
      "E_SCRYPT_WORK_FACTOR",
      `The file asks for an scrypt work factor of ${tooHigh}; booksnap accepts at most ${MAX_SCRYPT_WORK_FACTOR}`,
      {
        hint: "A larger work factor would take gigabytes of memory; re-encrypt the file with the default (age -p uses 18).",
      },
    );
  }
  const byPassphrase = stanzaTypes.includes("scrypt");
  if (byPassphrase && keys.passphrase === undefined) {
    throw new UsageError("This snapshot is encrypted with a passphrase and none was provided", {
      code: "E_NO_PASSPHRASE",
      hint: "Set BOOKSNAP_PASSPHRASE (or the variable named by --passphrase-env) to the passphrase used at export.",
    });
  }
  if (!byPassphrase && keys.identities.length === 0) {
    throw new UsageError("This snapshot is encrypted for recipients' public keys and no identity was given", {
      code: "E_NO_IDENTITY",
      hint: "Pass your private key file with --identity (made by 'booksnap keygen' or age-keygen).",
    });
  }
}

function headerError(message: string): SnapshotIntegrityError {
  return new SnapshotIntegrityError("E_DECRYPT_HEADER", message, {
    hint: "The file is not an age-encrypted snapshot, or it was damaged; get a fresh copy.",
  });
}

function classifyDecryptError(error: unknown, headerDone: boolean, keys: DecryptionKeys): Error {
  if (error instanceof BooksnapError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (!headerDone && message.includes(NO_MATCH_MESSAGE)) {
    const what =
      keys.identities.length > 0 ? "none of the given identities is a recipient" : "wrong passphrase";
    return new SnapshotIntegrityError("E_DECRYPT", `Cannot decrypt the snapshot: ${what}`, {
      hint: "Use the identity whose public key the exporter encrypted for ('booksnap inspect' lists them), or the right passphrase.",
    });
  }
  if (message.includes("stream ended")) {
    return new SnapshotIntegrityError("E_DECRYPT_TRUNCATED", "The encrypted data file is truncated", {
      hint: "Get a complete copy of the snapshot.",
    });
  }
  if (!headerDone && !message.includes("HMAC")) return headerError(`The age header is invalid (${message})`);
  return new SnapshotIntegrityError(
    "E_DECRYPT_TAMPERED",
    "The encrypted data file was altered or truncated: it fails authentication",
    { hint: "Do not use this copy; get a fresh one from whoever exported it.", cause: error },
  );
}

/** A stream that opens its source only when first read, and reports its errors through `classify`. */
function lazyReadable(
  open: () => Promise<ReadableStream<Uint8Array>>,
  classify: (error: unknown) => unknown,
): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          reader ??= (await open()).getReader();
          const next = await reader.read();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (error) {
          controller.error(classify(error));
        }
      },
      async cancel(reason) {
        await reader?.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** `first`, then the rest of `reader`. */
function prepend(
  first: Uint8Array,
  reader: ReadableStreamDefaultReader<Uint8Array>,
): ReadableStream<Uint8Array> {
  let sentFirst = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sentFirst) {
        sentFirst = true;
        controller.enqueue(first);
        return;
      }
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel(reason) {
      await reader.cancel(reason);
    },
  });
}
