import type { Writable } from "node:stream";
import { stripVTControlCharacters } from "node:util";
import { redactSecrets } from "../db/url.js";

/** Where a command prints, and how. Created once per run by the CLI; the core never prints. */
export class Output {
  private readonly secretUrls: string[] = [];

  constructor(
    readonly stdout: Writable & { isTTY?: boolean },
    readonly stderr: Writable & { isTTY?: boolean },
    /** Machine-readable mode: one JSON document on stdout, nothing else there. */
    readonly json: boolean,
    /** Colour only on a TTY, never with NO_COLOR or --no-color. */
    readonly color: boolean,
    /** The same rule for stdout, which may be piped while stderr is a terminal (default: color). */
    readonly stdoutColor: boolean = color,
  ) {}

  /** True when a person is watching stderr (progress bars, prompts). */
  get interactive(): boolean {
    return Boolean(this.stderr.isTTY) && !this.json;
  }

  /** Registers a connection URL whose credentials must never be printed. */
  protectUrl(url: string | undefined): void {
    if (url) this.secretUrls.push(url);
  }

  redact(text: string): string {
    return redactSecrets(text, this.secretUrls);
  }

  /** Human output on stdout (suppressed in --json mode); colour removed when stdout is not a terminal. */
  line(text = ""): void {
    if (this.json) return;
    const plain = this.stdoutColor ? text : stripVTControlCharacters(text);
    this.stdout.write(`${this.redact(plain)}\n`);
  }

  /** Notes and warnings on stderr, in every mode. */
  note(text: string): void {
    this.stderr.write(`${this.redact(text)}\n`);
  }

  warn(text: string): void {
    this.note(`${this.paint("33", "warning:")} ${text}`);
  }

  /** The command's result as JSON on stdout. */
  result(value: unknown): void {
    this.stdout.write(`${this.redact(JSON.stringify(value, null, 2))}\n`);
  }

  paint(code: string, text: string): string {
    return this.color ? `\u001b[${code}m${text}\u001b[0m` : text;
  }

  bold(text: string): string {
    return this.paint("1", text);
  }
}

export function wantsColor(
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv,
  flag: boolean | undefined,
): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return Boolean(stream.isTTY) && env.TERM !== "dumb";
}
