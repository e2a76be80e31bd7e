import cliProgress from "cli-progress";
import type { Output } from "./output.js";

/** What a long-running core operation reports after each batch. */
export interface ProgressUpdate {
  /** What is being processed now, e.g. the model name "Book". */
  label: string;
  /** Rows done so far, across all labels. */
  done: number;
  /** Rows expected in total, when known (enables percentage and ETA). */
  total?: number;
}

/**
 * Called by the core after each batch. May return a promise: the core waits for it, which
 * lets tests pause an export at a known point.
 */
export type ProgressCallback = (update: ProgressUpdate) => void | Promise<void>;

export interface ProgressReporter {
  /** Pass to the core as its onProgress dependency. */
  update: ProgressCallback;
  /** Removes the bar; call in finally. */
  stop(): void;
}

/** Minimum time between redraws; cli-progress throttles too, this avoids needless work. */
const REDRAW_MS = 100;

/**
 * A TTY progress bar (label, bar, rows, rows/s, ETA) on stderr, or nothing when no person is
 * watching (not a TTY, or --json): machine output stays clean.
 */
export function createProgressReporter(output: Output, unit = "rows"): ProgressReporter {
  if (!output.interactive) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: output.stderr,
      format: `{label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`,
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
      noTTYOutput: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const startedAt = Date.now();
  let started = false;
  let lastDraw = 0;
  return {
    update({ label, done, total }) {
      const now = Date.now();
      const seconds = Math.max((now - startedAt) / 1000, 0.001);
      const payload = { label: label.padEnd(17), rate: Math.round(done / seconds).toLocaleString("en-US") };
      if (!started) {
        bar.start(total ?? done, done, payload);
        started = true;
        lastDraw = now;
        return;
      }
      bar.setTotal(total ?? done);
      if (now - lastDraw < REDRAW_MS && done !== total) return;
      lastDraw = now;
      bar.update(done, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
