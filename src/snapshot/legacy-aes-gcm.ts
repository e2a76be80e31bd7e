import { createDecipheriv, scrypt } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { SnapshotIntegrityError } from "../errors.js";

/**
 * Reader of the first encryption format (booksnap 0.1 "export --encrypt"), kept so old encrypted
 * snapshots still verify and import. booksnap now writes age files (age-stream.ts) and no
 * longer writes this format; test/fixtures/legacy-aes-gcm-encrypted.* is one such file.
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
export const LEGACY_ENCRYPTION_SCHEME = "aes-256-gcm-chunked";

const HEADER_BYTES = 8 + 1 + 1 + 1 + 1 + 1 + 4 + 16 + 12;
const TAG_BYTES = 16;
const KDF_SCRYPT = 1;
/** Header values a reader accepts: the header is untrusted, so cost and memory are bounded. */
const KDF_LIMITS = { log2N: [15, 20], r: [8, 16], p: [1, 4] } as const;
const MAX_CHUNK_BYTES = 16 * 1024 * 1024;

interface HeaderFields {
  log2N: number;
  r: number;
  p: number;
  chunkBytes: number;
  salt: Buffer;
  baseNonce: Buffer;
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
export function createLegacyDecryptStream(options: { passphrase: string }): Transform {
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
