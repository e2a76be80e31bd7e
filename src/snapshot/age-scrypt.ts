import { createCipheriv, createDecipheriv, randomBytes, scrypt } from "node:crypto";
import { type Identity, type Recipient, Stanza } from "age-encryption";

/**
 * age's scrypt recipient and identity (https://age-encryption.org/v1, "The scrypt recipient type")
 * on node:crypto: OpenSSL's scrypt is several times faster than the library's pure-JS one and
 * runs off the event loop. The file key is wrapped with ChaCha20-Poly1305 under the derived key
 * and a zero nonce, exactly as the spec says.
 */

const LABEL = "age-encryption.org/v1/scrypt";
const SALT_BYTES = 16;
const FILE_KEY_BYTES = 16;
const TAG_BYTES = 16;

function base64NoPad(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64").replace(/=+$/, "");
}

/** Strict, canonical unpadded base64 (the spec forbids other encodings of the same bytes). */
function decodeBase64NoPad(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*$/.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64");
  return base64NoPad(bytes) === text ? bytes : undefined;
}

function deriveKey(passphrase: string, salt: Uint8Array, logN: number): Promise<Buffer> {
  const N = 2 ** logN;
  const labelAndSalt = Buffer.concat([Buffer.from(LABEL, "latin1"), salt]);
  // scrypt needs 128·N·r bytes; leave headroom over OpenSSL's accounting.
  const maxmem = 128 * N * 8 + 32 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(Buffer.from(passphrase, "utf8"), labelAndSalt, 32, { N, r: 8, p: 1, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export class ScryptRecipient implements Recipient {
  constructor(
    private readonly passphrase: string,
    private readonly logN: number,
  ) {}

  async wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
    const salt = randomBytes(SALT_BYTES);
    const key = await deriveKey(this.passphrase, salt, this.logN);
    const cipher = createCipheriv("chacha20-poly1305", key, Buffer.alloc(12), { authTagLength: TAG_BYTES });
    const body = Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()]);
    return [new Stanza(["scrypt", base64NoPad(salt), String(this.logN)], body)];
  }
}

export class ScryptIdentity implements Identity {
  constructor(
    private readonly passphrase: string,
    /** Highest work factor accepted from the (untrusted) header. */
    private readonly maxLogN: number,
  ) {}

  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    for (const stanza of stanzas) {
      if (stanza.args[0] !== "scrypt") continue;
      // The spec: an scrypt stanza must be alone, or a passphrase could unlock a file meant for others.
      if (stanzas.length !== 1) throw new Error("scrypt stanza is not the only one in the header");
      const [, saltText = "", logNText = ""] = stanza.args;
      const salt = decodeBase64NoPad(saltText);
      if (stanza.args.length !== 3 || salt?.length !== SALT_BYTES || !/^[1-9][0-9]*$/.test(logNText)) {
        throw new Error("invalid scrypt stanza");
      }
      const logN = Number(logNText);
      if (logN > this.maxLogN) throw new Error("scrypt work factor is too high");
      if (stanza.body.length !== FILE_KEY_BYTES + TAG_BYTES) throw new Error("invalid scrypt stanza");
      const key = await deriveKey(this.passphrase, salt, logN);
      const decipher = createDecipheriv("chacha20-poly1305", key, Buffer.alloc(12), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAuthTag(stanza.body.subarray(FILE_KEY_BYTES));
      try {
        return Buffer.concat([decipher.update(stanza.body.subarray(0, FILE_KEY_BYTES)), decipher.final()]);
      } catch {
        return null;
      }
    }
    return null;
  }
}
