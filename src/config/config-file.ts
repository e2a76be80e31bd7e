import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { readBounded } from "../snapshot/regular-file.js";
import { ConfigError } from "./config-error.js";
import { type ConfigFile, configFileSchema } from "./config-file-schema.js";

/** The file looked for in the working directory when --config is not given. */
export const CONFIG_FILE_NAME = "booksnap.config.json";
/**
 * Largest config file read. The book app's config is ~1.5 KB; an app with a hundred tables of
 * twenty rules each stays under 100 KB. A larger file is refused before it is parsed.
 */
export const MAX_CONFIG_BYTES = 256 * 1024;

/**
 * O_NOFOLLOW: a planted symbolic link (to /dev/zero, to someone else's file) is refused.
 * O_NONBLOCK: opening a FIFO does not wait for a writer. O_NOCTTY: never a controlling terminal.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * Reads and checks a config file. `required`: --config was given, so a missing file is an error;
 * otherwise a missing file returns undefined (the built-in configuration applies).
 */
export async function readConfigFile(path: string, required: boolean): Promise<ConfigFile | undefined> {
  const handle = await openConfigFile(path, required);
  if (!handle) return undefined;
  try {
    await assertSafeFile(handle, path);
    const bytes = await readBounded(handle, MAX_CONFIG_BYTES);
    if (bytes.length > MAX_CONFIG_BYTES) {
      throw new ConfigError(
        "E_CONFIG_TOO_LARGE",
        `The config file ${path} is larger than ${MAX_CONFIG_BYTES} bytes`,
        {
          hint: "A booksnap config holds table and column names only; check that --config names the right file.",
        },
      );
    }
    return parseConfigText(bytes, path);
  } finally {
    await handle.close();
  }
}

async function openConfigFile(path: string, required: boolean): Promise<FileHandle | undefined> {
  try {
    return await open(path, OPEN_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !required) return undefined;
    if (code === "ENOENT") {
      throw new ConfigError("E_CONFIG_NOT_FOUND", `The config file ${path} does not exist`, { cause: error });
    }
    if (code === "ELOOP") {
      throw new ConfigError("E_CONFIG_SYMLINK", `Refusing the config file ${path}: it is a symbolic link`, {
        hint: "Pass the file it points to with --config.",
        cause: error,
      });
    }
    throw new ConfigError("E_CONFIG_UNREADABLE", `Cannot open the config file ${path} (${code ?? "error"})`, {
      cause: error,
    });
  }
}

/**
 * The config decides which columns leave production in clear, so a file another local user may
 * change is refused, as the redaction key file is (src/config/redaction-key.ts). Root-owned
 * files are accepted (system-wide configs, containers).
 */
async function assertSafeFile(handle: FileHandle, path: string): Promise<void> {
  const info = await handle.stat();
  if (!info.isFile()) {
    throw new ConfigError(
      "E_CONFIG_NOT_REGULAR_FILE",
      `Refusing the config file ${path}: it is not a regular file`,
      {
        hint: "A pipe or device could block or never end; use a plain file.",
      },
    );
  }
  if ((info.mode & 0o022) !== 0) {
    throw new ConfigError(
      "E_CONFIG_PERMISSIONS",
      `Refusing the config file ${path}: other users may write it (mode ${(info.mode & 0o777).toString(8)})`,
      { hint: `It decides what is redacted. Run: chmod go-w ${path}` },
    );
  }
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  if (uid !== undefined && info.uid !== uid && info.uid !== 0) {
    throw new ConfigError(
      "E_CONFIG_PERMISSIONS",
      `Refusing the config file ${path}: it belongs to another user`,
      {
        hint: "It decides what is redacted; use a copy you own.",
      },
    );
  }
}

/**
 * Parses config bytes: UTF-8 (an optional BOM), JSON, then the strict schema with every problem
 * reported at once. Error messages never quote the file's content.
 */
export function parseConfigText(bytes: Uint8Array, path: string): ConfigFile {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (error) {
    throw new ConfigError("E_CONFIG_JSON", `The config file ${path} is not UTF-8 text`, { cause: error });
  }
  const forbiddenKeys: string[] = [];
  let raw: unknown;
  try {
    raw = JSON.parse(text, (key: string, value: unknown) => {
      // JSON.parse keeps "__proto__" as an own key, but zod's records drop it silently and
      // plain objects would turn it into a prototype: refuse it outright.
      if (key === "__proto__") forbiddenKeys.push(key);
      return value;
    });
  } catch (error) {
    // Nesting deep enough to exhaust the stack (within the size cap) is a RangeError, not a syntax error.
    if (error instanceof RangeError) {
      throw new ConfigError("E_CONFIG_JSON", `The config file ${path} nests too deeply`);
    }
    throw new ConfigError(
      "E_CONFIG_JSON",
      `The config file ${path} is not valid JSON${jsonErrorPlace(error, text)}`,
      {
        hint: "Check brackets, quotes and commas (comments and trailing commas are not JSON).",
      },
    );
  }
  if (forbiddenKeys.length > 0) {
    throw new ConfigError("E_CONFIG_INVALID", `The config file ${path} uses the reserved key "__proto__"`);
  }
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      // A record key that fails its check: zod's own message is only "Invalid key in record".
      const message =
        issue.code === "invalid_key"
          ? `invalid name: ${issue.issues.map((i) => i.message).join("; ")}`
          : issue.message;
      return `${formatPath(issue.path)}: ${message}`;
    });
    throw new ConfigError(
      "E_CONFIG_INVALID",
      `The config file ${path} is invalid:\n  ${problems.join("\n  ")}`,
      {
        hint: "See docs/configuration.md for every key and its allowed values.",
        details: { problems },
      },
    );
  }
  return parsed.data;
}

/** " (line L, column C)" from V8's "at position N" / "line L column C" — never its quoted snippet. */
function jsonErrorPlace(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : "";
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn) return ` (line ${lineColumn[1]}, column ${lineColumn[2]})`;
  const position = /position (\d+)/.exec(message);
  if (!position) return text.trim() === "" ? " (the file is empty)" : "";
  const before = text.slice(0, Number(position[1]));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return ` (line ${line}, column ${column})`;
}

/** `redaction.User.email`, with unusual keys quoted (and so escaped) as JSON strings. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(top level)";
  return path
    .map((segment, index) => {
      if (typeof segment === "number") return `[${segment}]`;
      const text = String(segment);
      const plain = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(text);
      return plain ? (index === 0 ? text : `.${text}`) : `[${JSON.stringify(text)}]`;
    })
    .join("");
}
