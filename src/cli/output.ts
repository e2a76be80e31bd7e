import { randomBytes } from "node:crypto";
import type { Writable } from "node:stream";
import { redactSecrets } from "../db/url.js";
import { escapeJsonText, escapeTerminalText } from "./terminal-text.js";

/**
 * Where a command prints, and how. Created once per run by the CLI; the core never prints.
 * Every text is escaped as it is written (terminal-text.ts): only the colour codes paint()
 * adds reach the terminal as escape sequences.
 */
export class Output {
  private readonly secretUrls: string[] = [];
  /**
   * paint() marks its colour codes with this per-run token and the writer turns them into SGR
   * sequences; untrusted text cannot guess it, and any ESC it holds is escaped.
   */
  private readonly colorMark = `\u0000${randomBytes(8).toString("hex")}:`;
  private readonly colorMarks = new RegExp(`${this.colorMark}([\\d;]+)\u0000`, "g");

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

  /** Text for a prompt written by someone else (readline): redacted and escaped, no colour. */
  safe(text: string): string {
    return this.render(text, false);
  }

  /** Redacts, escapes everything untrusted, and turns paint()'s marks into colour (or drops them). */
  private render(text: string, color: boolean): string {
    const parts = this.redact(text).split(this.colorMarks);
    // split() with a capture group: even indexes are text, odd ones the SGR code of a mark.
    return parts
      .map((part, i) => (i % 2 === 0 ? escapeTerminalText(part) : color ? `\u001b[${part}m` : ""))
      .join("");
  }

  /** Human output on stdout (suppressed in --json mode); colour removed when stdout is not a terminal. */
  line(text = ""): void {
    if (this.json) return;
    this.stdout.write(`${this.render(text, this.stdoutColor)}\n`);
  }

  /** Notes and warnings on stderr, in every mode. */
  note(text: string): void {
    this.stderr.write(`${this.render(text, this.color)}\n`);
  }

  warn(text: string): void {
    this.note(`${this.paint("33", "warning:")} ${text}`);
  }

  /** The command's result as JSON on stdout. */
  result(value: unknown): void {
    this.stdout.write(`${escapeJsonText(this.redact(JSON.stringify(value, null, 2)))}\n`);
  }

  /** Colours text (an SGR code such as "31" or "1;31"); the writer decides whether the stream gets colour. */
  paint(code: string, text: string): string {
    return `${this.colorMark}${code}\u0000${text}${this.colorMark}0\u0000`;
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
