import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CLI_PATH } from "../helpers/cli.js";

const run = promisify(execFile);

/** Same rule as test/helpers/cli.ts: a developer's own settings must not leak into the CLI. */
const INHERITED_BLOCKLIST =
  /^(DEWEY_|BOOKSNAP_|SYNC_|DATABASE_URL|DIRECT_URL|TEST_DATABASE_URL|FORCE_COLOR|NO_COLOR|TMUX)/;

export interface TerminalOptions {
  cwd?: string;
  env?: Record<string, string>;
  columns?: number;
  rows?: number;
}

/**
 * `node dist/cli.js …` running in a real pseudo-terminal: a detached tmux session on a private
 * tmux server (its own socket, killed by close()). Keys go in with send-keys, the screen comes
 * out with capture-pane, and the exit status from the dead pane (remain-on-exit).
 */
export class TmuxTerminal {
  private constructor(
    private readonly socket: string,
    private readonly config: string,
    private readonly statusFile: string,
    private readonly socketPath: string,
  ) {}

  static async start(args: readonly string[], options: TerminalOptions = {}): Promise<TmuxTerminal> {
    const socket = `booksnap-tty-${randomBytes(6).toString("hex")}`;
    const config = join(tmpdir(), `${socket}.conf`);
    const statusFile = join(tmpdir(), `${socket}.status`);
    await writeFile(config, "set -g remain-on-exit on\nset -g history-limit 5000\n");
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && !INHERITED_BLOCKLIST.test(key)) env[key] = value;
    }
    Object.assign(env, { TERM: "xterm-256color" }, options.env ?? {});
    await run("tmux", ["-V"]).catch((error: unknown) => {
      throw new Error("The terminal tests need tmux: apt-get install tmux (or brew install tmux)", {
        cause: error,
      });
    });
    // The shell only records node's exit status (tmux's own pane status can lag behind). It
    // ignores SIGINT itself; node resets signal dispositions at start-up, so Ctrl-C reaches it.
    const script = `trap "" INT; "$0" "$@"; echo $? > '${statusFile}.tmp' && mv '${statusFile}.tmp' '${statusFile}'`;
    await run(
      "tmux",
      [
        "-L",
        socket,
        "-f",
        config,
        "new-session",
        "-d",
        "-s",
        "booksnap",
        "-x",
        String(options.columns ?? 160),
        "-y",
        String(options.rows ?? 50),
        "-c",
        options.cwd ?? process.cwd(),
        "--",
        "sh",
        "-c",
        script,
        process.execPath,
        CLI_PATH,
        ...args,
      ],
      { env },
    );
    // tmux leaves its socket file behind after kill-server; close() removes it.
    const { stdout: socketPath } = await run("tmux", [
      "-L",
      socket,
      "display-message",
      "-p",
      "#{socket_path}",
    ]);
    return new TmuxTerminal(socket, config, statusFile, socketPath.trim());
  }

  private tmux(...args: string[]) {
    return run("tmux", ["-L", this.socket, ...args]);
  }

  /** Everything printed so far, wrapped lines joined; colours stripped unless asked for. */
  async screen(options: { escapes?: boolean } = {}): Promise<string> {
    const { stdout } = await this.tmux(
      "capture-pane",
      "-p",
      "-J",
      ...(options.escapes ? ["-e"] : []),
      "-S",
      "-",
      "-E",
      "-",
      "-t",
      "booksnap",
    );
    return stdout;
  }

  /** Waits until the screen matches; fails with the screen's content after the timeout. */
  async waitFor(pattern: RegExp | string, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.screen();
      if (typeof pattern === "string" ? screen.includes(pattern) : pattern.test(screen)) return screen;
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${pattern} on the terminal. Screen:\n${screen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Types text literally, then presses Enter. */
  async answer(text: string): Promise<void> {
    await this.tmux("send-keys", "-t", "booksnap", "-l", text);
    await this.tmux("send-keys", "-t", "booksnap", "Enter");
  }

  /** Presses Ctrl-C: the terminal sends SIGINT to the foreground process. */
  async interrupt(): Promise<void> {
    await this.tmux("send-keys", "-t", "booksnap", "C-c");
  }

  /** Waits for the CLI to exit and returns its exit status. */
  async exitCode(timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await readFile(this.statusFile, "utf8").catch(() => undefined);
      if (status !== undefined) return Number(status.trim());
      if (Date.now() > deadline) throw new Error(`The CLI did not exit. Screen:\n${await this.screen()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Kills this test's tmux server (and the CLI, if it still runs). */
  async close(): Promise<void> {
    await this.tmux("kill-server").catch(() => {});
    await rm(this.config, { force: true });
    await rm(this.statusFile, { force: true });
    if (this.socketPath) await rm(this.socketPath, { force: true });
  }
}
