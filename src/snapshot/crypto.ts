import { createCipheriv, createDecipheriv, randomBytes, scrypt } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { assertVariableName } from "../config/env.js";
import { SnapshotIntegrityError, UsageError } from "../errors.js";

/**
 * Optional encryption of a snapshot's data file for sharing ("export --encrypt").
 *
 * Layout: a 45-byte header, then chunks. Every chunk but the last holds exactly `chunkBytes`
 * plaintext bytes; the last holds 0..chunkBytes. Each chunk is AES-256-GCM sealed with its own
 * nonce (base nonce XOR chunk index) and additional data = header ‖ index ‖ final flag, so a
 * reordered, dropped, truncated, extended or edited chunk — or an edited header — fails to
 * authenticate. The key comes from the passphrase through scrypt (memory-hard), with a random salt.
 *
 *   header: "BSNAPENC" | version u8 | kdf id u8 (1 = scrypt) | log2 N u8 | r u8 | p u8
 *           | chunkBytes u32 BE | salt (16) | base nonce (12)
 *   chunk:  ciphertext (same length as its plaintext) | GCM tag (16)
 */

export const ENCRYPTION_MAGIC = "BSNAPENC";
export const ENCRYPTION_VERSION = 1;
export const ENCRYPTION_SCHEME = "aes-256-gcm-chunked";
export const ENCRYPTED_DATA_SUFFIX = ".enc";
/** Default environment variable holding the passphrase; a passphrase is never a flag value. */
export const DEFAULT_PASSPHRASE_ENV = "BOOKSNAP_PASSPHRASE";

const HEADER_BYTES = 8 + 1 + 1 + 1 + 1 + 1 + 4 + 16 + 12;
const TAG_BYTES = 16;
const KDF_SCRYPT = 1;
/** 64 KiB chunks: authentication granularity vs 16-byte tag overhead (0.02 %). */
const DEFAULT_CHUNK_BYTES = 64 * 1024;
/** scrypt N = 2^15, r = 8, p = 1: the OWASP minimum for scrypt, ~32 MiB and ~0.1 s per derivation. */
const DEFAULT_KDF = { log2N: 15, r: 8, p: 1 } as const;
/** Header values a reader accepts: the header is untrusted, so cost and memory are bounded. */
const KDF_LIMITS = { log2N: [15, 20], r: [8, 16], p: [1, 4] } as const;
const MAX_CHUNK_BYTES = 16 * 1024 * 1024;

/** Describes the encryption in the manifest. No secret: the salt lives in the file header. */
export interface EncryptionDescription {
  scheme: typeof ENCRYPTION_SCHEME;
  kdf: "scrypt";
  /** scrypt cost parameters used for this file. */
  kdfParams: { N: number; r: number; p: number };
  /** Plaintext bytes per authenticated chunk. */
  chunkBytes: number;
}

export interface EncryptOptions {
  passphrase: string;
  /** Plaintext bytes per chunk (default 64 KiB). Tests use small chunks to get many of them. */
  chunkBytes?: number;
}

interface HeaderFields {
  log2N: number;
  r: number;
  p: number;
  chunkBytes: number;
  salt: Buffer;
  baseNonce: Buffer;
}

export function describeEncryption(options: Pick<EncryptOptions, "chunkBytes"> = {}): EncryptionDescription {
  return {
    scheme: ENCRYPTION_SCHEME,
    kdf: "scrypt",
    kdfParams: { N: 2 ** DEFAULT_KDF.log2N, r: DEFAULT_KDF.r, p: DEFAULT_KDF.p },
    chunkBytes: options.chunkBytes ?? DEFAULT_CHUNK_BYTES,
  };
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

function encodeHeader(fields: HeaderFields): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  let at = header.write(ENCRYPTION_MAGIC, 0, "latin1");
  at = header.writeUInt8(ENCRYPTION_VERSION, at);
  at = header.writeUInt8(KDF_SCRYPT, at);
  at = header.writeUInt8(fields.log2N, at);
  at = header.writeUInt8(fields.r, at);
  at = header.writeUInt8(fields.p, at);
  at = header.writeUInt32BE(fields.chunkBytes, at);
  at += fields.salt.copy(header, at);
  fields.baseNonce.copy(header, at);
  return header;
}

function headerError(message: string): SnapshotIntegrityError {
  return new SnapshotIntegrityError("E_ENCRYPTION_HEADER", message, {
    hint: "This is not a booksnap-encrypted data file, or it was made by a newer booksnap.",
  });
}

function decodeHeader(header: Buffer): HeaderFields {
  if (header.subarray(0, 8).toString("latin1") !== ENCRYPTION_MAGIC) {
    throw headerError("The data file does not start with a booksnap encryption header");
  }
  const version = header.readUInt8(8);
  if (version !== ENCRYPTION_VERSION) throw headerError(`Unsupported encryption version ${version}`);
  if (header.readUInt8(9) !== KDF_SCRYPT) throw headerError("Unsupported key derivation function");
  const fields: HeaderFields = {
    log2N: header.readUInt8(10),
    r: header.readUInt8(11),
    p: header.readUInt8(12),
    chunkBytes: header.readUInt32BE(13),
    salt: Buffer.from(header.subarray(17, 33)),
    baseNonce: Buffer.from(header.subarray(33, 45)),
  };
  for (const key of ["log2N", "r", "p"] as const) {
    const [min, max] = KDF_LIMITS[key];
    if (fields[key] < min || fields[key] > max) {
      throw headerError(`Key derivation parameter ${key}=${fields[key]} is outside [${min}, ${max}]`);
    }
  }
  if (fields.chunkBytes < 1 || fields.chunkBytes > MAX_CHUNK_BYTES) {
    throw headerError(`Chunk size ${fields.chunkBytes} is out of range`);
  }
  return fields;
}

function deriveKey(passphrase: string, fields: HeaderFields): Promise<Buffer> {
  const N = 2 ** fields.log2N;
  const maxmem = 128 * N * fields.r * fields.p + 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(passphrase, fields.salt, 32, { N, r: fields.r, p: fields.p, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

function chunkNonce(baseNonce: Buffer, index: number): Buffer {
  const nonce = Buffer.from(baseNonce);
  const counter = BigInt(index);
  nonce.writeBigUInt64BE(nonce.readBigUInt64BE(4) ^ counter, 4);
  return nonce;
}

function chunkAad(header: Buffer, index: number, final: boolean): Buffer {
  const tail = Buffer.alloc(9);
  tail.writeBigUInt64BE(BigInt(index), 0);
  tail.writeUInt8(final ? 1 : 0, 8);
  return Buffer.concat([header, tail]);
}

function seal(
  key: Buffer,
  fields: HeaderFields,
  header: Buffer,
  index: number,
  final: boolean,
  data: Buffer,
) {
  const cipher = createCipheriv("aes-256-gcm", key, chunkNonce(fields.baseNonce, index));
  cipher.setAAD(chunkAad(header, index, final));
  return Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()]);
}

function open(
  key: Buffer,
  fields: HeaderFields,
  header: Buffer,
  index: number,
  final: boolean,
  sealed: Buffer,
) {
  const decipher = createDecipheriv("aes-256-gcm", key, chunkNonce(fields.baseNonce, index));
  decipher.setAAD(chunkAad(header, index, final));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** Collects incoming buffers and hands out exact-size pieces. */
class ByteQueue {
  private parts: Buffer[] = [];
  length = 0;
  push(chunk: Buffer): void {
    this.parts.push(chunk);
    this.length += chunk.length;
  }
  take(n: number): Buffer {
    const all = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts);
    const piece = all.subarray(0, n);
    const rest = all.subarray(n);
    this.parts = rest.length > 0 ? [rest] : [];
    this.length = rest.length;
    return piece;
  }
}

/** A Transform that encrypts whatever passes through it (place it after compression). */
export function createEncryptStream(options: EncryptOptions): Transform {
  if (!options.passphrase)
    throw new UsageError("An empty passphrase cannot encrypt", { code: "E_NO_PASSPHRASE" });
  const fields: HeaderFields = {
    ...DEFAULT_KDF,
    chunkBytes: options.chunkBytes ?? DEFAULT_CHUNK_BYTES,
    salt: randomBytes(16),
    baseNonce: randomBytes(12),
  };
  const header = encodeHeader(fields);
  const queue = new ByteQueue();
  let key: Buffer | undefined;
  let index = 0;
  const ready = async (stream: Transform): Promise<Buffer> => {
    if (!key) {
      key = await deriveKey(options.passphrase, fields);
      stream.push(header);
    }
    return key;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      ready(this).then((k) => {
        queue.push(chunk);
        // Strictly more than one chunk buffered: the chunk taken is certainly not the last.
        while (queue.length > fields.chunkBytes) {
          this.push(seal(k, fields, header, index, false, queue.take(fields.chunkBytes)));
          index += 1;
        }
        callback();
      }, callback);
    },
    flush(callback: TransformCallback) {
      ready(this).then((k) => {
        this.push(seal(k, fields, header, index, true, queue.take(queue.length)));
        callback();
      }, callback);
    },
  });
}

function decryptError(index: number, final: boolean, probablyTruncated: boolean): SnapshotIntegrityError {
  if (index === 0 && !probablyTruncated) {
    return new SnapshotIntegrityError(
      "E_DECRYPT",
      "Cannot decrypt the snapshot: wrong passphrase, or the file was altered",
      {
        hint: "Check the passphrase in the environment variable (default BOOKSNAP_PASSPHRASE, or --passphrase-env).",
        details: { chunk: index },
      },
    );
  }
  if (probablyTruncated) {
    return new SnapshotIntegrityError(
      "E_DECRYPT_TRUNCATED",
      `The encrypted data file is truncated (it ends after chunk ${index} without its final chunk)`,
      { hint: "Get a complete copy of the snapshot.", details: { chunk: index } },
    );
  }
  return new SnapshotIntegrityError(
    "E_DECRYPT_TAMPERED",
    `The encrypted data file was altered: chunk ${index}${final ? " (final)" : ""} fails authentication`,
    { hint: "Do not use this copy; get a fresh one from whoever exported it.", details: { chunk: index } },
  );
}

/**
 * A Transform that decrypts and authenticates (place it before decompression). Nothing that
 * fails authentication is ever passed on: each chunk is released only after its tag checks.
 */
export function createDecryptStream(options: { passphrase: string }): Transform {
  const queue = new ByteQueue();
  let header: Buffer | undefined;
  let fields: HeaderFields | undefined;
  let key: Buffer | undefined;
  let index = 0;
  const start = async (): Promise<boolean> => {
    if (key) return true;
    if (queue.length < HEADER_BYTES) return false;
    header = Buffer.from(queue.take(HEADER_BYTES));
    fields = decodeHeader(header);
    key = await deriveKey(options.passphrase, fields);
    return true;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      queue.push(chunk);
      start().then((started) => {
        if (!started || !key || !fields || !header) return callback();
        const sealedBytes = fields.chunkBytes + TAG_BYTES;
        while (queue.length > sealedBytes) {
          const plain = open(key, fields, header, index, false, queue.take(sealedBytes));
          if (!plain) return callback(decryptError(index, false, false));
          this.push(plain);
          index += 1;
        }
        callback();
      }, callback);
    },
    flush(callback: TransformCallback) {
      start().then((started) => {
        if (!started || !key || !fields || !header) {
          return callback(
            queue.length === 0 && !header
              ? new SnapshotIntegrityError("E_DECRYPT_TRUNCATED", "The encrypted data file is empty")
              : headerError("The encrypted data file is shorter than its header"),
          );
        }
        if (queue.length < TAG_BYTES) return callback(decryptError(index, true, true));
        const sealed = queue.take(queue.length);
        const plain = open(key, fields, header, index, true, sealed);
        if (plain) {
          this.push(plain);
          return callback();
        }
        // A last chunk that authenticates as a middle chunk: the real final chunk was cut off.
        const truncated =
          sealed.length === fields.chunkBytes + TAG_BYTES &&
          open(key, fields, header, index, false, sealed) !== undefined;
        callback(decryptError(index, true, truncated));
      }, callback);
    },
  });
}

/** The passphrase of an encrypted snapshot, from the caller's source; a clear error without one. */
export function requirePassphrase(source: (() => string) | undefined): string {
  if (!source) {
    throw new UsageError("This snapshot is encrypted and no passphrase was provided", {
      code: "E_NO_PASSPHRASE",
      hint: `Set ${DEFAULT_PASSPHRASE_ENV} (or the variable named by --passphrase-env) to the passphrase used at export.`,
    });
  }
  return source();
}
