import { constants } from "node:fs";
import { mkdir, open, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { Encrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import { OutputError, UsageError } from "../errors.js";

/**
 * age keys: public recipients (`age1…`) that an export encrypts for, and private identities
 * (`AGE-SECRET-KEY-1…`) that import and verify decrypt with. Key files use age's own format
 * (one key per line, `#` comments), so `age-keygen` output and `age -R` files work unchanged.
 * Error messages name files and line numbers, never a line's content: it may be a secret.
 */

/** Key files are a few lines; anything bigger is not one. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/** `$XDG_CONFIG_HOME/booksnap/key.txt`, by default `~/.config/booksnap/key.txt`. */
export function defaultIdentityPath(env: Readonly<Record<string, string | undefined>>): string {
  const configHome = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(configHome, "booksnap", "key.txt");
}

/** Checks a recipient (`age1…`) as the encrypter will use it; a clear usage error otherwise. */
export function parseRecipient(value: string, where = "--recipient"): string {
  const recipient = value.trim();
  if (/^AGE-SECRET-KEY-/i.test(recipient)) {
    throw new UsageError(`${where} is a private key (AGE-SECRET-KEY-…), not a public one`, {
      code: "E_RECIPIENT",
      hint: "Give the teammate's public key (age1…); never share a private key. 'booksnap keygen' prints the public key.",
    });
  }
  try {
    new Encrypter().addRecipient(recipient);
  } catch {
    throw new UsageError(`${where} is not a valid age public key`, {
      code: "E_RECIPIENT",
      hint: "A public key looks like age1… (62 characters); 'booksnap keygen' or 'age-keygen' print one.",
      details: { recipientPrefix: recipient.slice(0, 8) },
    });
  }
  return recipient;
}

/** The recipients listed in an age recipients file (`age -R` format). */
export async function readRecipientsFile(path: string): Promise<string[]> {
  const lines = await readKeyFile(path, "recipients");
  const recipients = lines.map(({ text, number }) => parseRecipient(text, `${path} line ${number}`));
  if (recipients.length === 0) {
    throw new UsageError(`${path} lists no recipient`, { code: "E_RECIPIENT" });
  }
  return recipients;
}

/** The identities in an age identity file (`age -i` / age-keygen format). */
export async function readIdentityFile(path: string): Promise<string[]> {
  const identities: string[] = [];
  for (const { text, number } of await readKeyFile(path, "identity")) {
    const valid = text.startsWith("AGE-SECRET-KEY-1") && (await identityToRecipient(text).catch(() => null));
    if (!valid) {
      throw new UsageError(`${path} line ${number} is not an age identity (AGE-SECRET-KEY-1…)`, {
        code: "E_IDENTITY_FILE",
        hint: "Use the key file written by 'booksnap keygen' or 'age-keygen'. Passphrase-protected or plugin identities are not supported.",
      });
    }
    identities.push(text);
  }
  if (identities.length === 0) {
    throw new UsageError(`${path} holds no identity`, { code: "E_IDENTITY_FILE" });
  }
  return identities;
}

async function readKeyFile(path: string, kind: string): Promise<{ text: string; number: number }[]> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_KEY_FILE_BYTES) throw new Error(`larger than ${MAX_KEY_FILE_BYTES} bytes`);
    text = bytes.toString("utf8");
  } catch (error) {
    throw new UsageError(`Cannot read the ${kind} file ${path}`, {
      code: kind === "identity" ? "E_IDENTITY_FILE" : "E_RECIPIENT",
      cause: error,
      details: { errno: (error as NodeJS.ErrnoException).code },
    });
  }
  return text
    .split(/\r?\n/)
    .map((line, index) => ({ text: line.trim(), number: index + 1 }))
    .filter((line) => line.text !== "" && !line.text.startsWith("#"));
}

export interface GeneratedKey {
  /** Where the private key was written (mode 0600). */
  path: string;
  /** The public key to give teammates. */
  recipient: string;
}

/**
 * Makes an X25519 key pair (readable by age 1.1 and later) and writes the identity file in
 * age-keygen's format. Never overwrites: the file is created exclusively, not through a
 * symlink, mode 0600, in a 0700 directory.
 */
export async function generateIdentityFile(path: string, now: Date): Promise<GeneratedKey> {
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(
      path,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ELOOP") {
      throw new UsageError(`${path} already exists; booksnap never overwrites a key`, {
        code: "E_KEY_EXISTS",
        hint: "Keep using that key (its public key is on its '# public key:' line), or choose another --out.",
      });
    }
    throw new OutputError("E_WRITE", `Could not create ${path}: ${(error as Error).message}`, {
      cause: error,
      details: { errno: code },
    });
  }
  try {
    await handle.writeFile(
      `# created: ${now.toISOString()}\n# public key: ${recipient}\n${identity}\n`,
      "utf8",
    );
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { path, recipient };
}
