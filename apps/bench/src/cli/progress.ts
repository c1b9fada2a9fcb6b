/**
 * Progress reporting on stderr. On a terminal it draws one bar that redraws in place; elsewhere
 * (a pipe, CI, a log file) it prints one plain line per finished item, so logs stay readable.
 */

/** Where progress goes; `process.stderr` in the app, a fake in tests. */
export interface ProgressStream {
  write(text: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

/** One task with a known number of steps. */
export interface ProgressTask {
  /** Advances by `steps` (default 1) and shows `detail` (what just finished or is running). */
  tick(detail?: string, steps?: number): void;
  /** Shows what is running now without advancing. */
  note(detail: string): void;
  /** Marks the task finished and leaves its last line on screen. */
  done(summary?: string): void;
}

const BAR_WIDTH = 24;

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

/** A text bar such as `[#######.........]` for a fraction in [0, 1]. */
export function renderBar(fraction: number, width = BAR_WIDTH): string {
  const clamped = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(clamped * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** Anything that can start progress tasks and log lines: the terminal bar, or a relay from a worker. */
export interface ProgressReporter {
  start(label: string, total: number): ProgressTask;
  log(message: string): void;
}

/** Creates progress tasks that write to `stream` (TTY-aware). */
export class Progress implements ProgressReporter {
  readonly #stream: ProgressStream;
  readonly #interactive: boolean;
  readonly #clock: () => number;
  #lineOpen = false;
  #redraw: (() => void) | null = null;

  readonly #plainIntervalMs: number;

  constructor(stream: ProgressStream, options: { interactive?: boolean; clock?: () => number; quiet?: boolean; plainIntervalMs?: number } = {}) {
    this.#stream = options.quiet ? { write: () => true } : stream;
    this.#plainIntervalMs = options.plainIntervalMs ?? 2000;
    this.#interactive = options.interactive ?? stream.isTTY === true;
    this.#clock = options.clock ?? (() => performance.now());
  }

  /** Whether the bar redraws in place (a terminal) or prints lines. */
  get interactive(): boolean {
    return this.#interactive;
  }

  /** Prints a message on its own line (above any bar being drawn). */
  log(message: string): void {
    this.#clearLine();
    this.#stream.write(`${message}\n`);
  }

  /** Starts a task of `total` steps labelled `label`. */
  start(label: string, total: number): ProgressTask {
    const started = this.#clock();
    let lastLine = -Infinity;
    let count = 0;
    let detail = '';
    let finished = false;
    const draw = (): void => {
      if (!this.#interactive) return;
      const elapsed = (this.#clock() - started) / 1000;
      const fraction = total > 0 ? count / total : 1;
      const eta = count > 0 && count < total ? (elapsed / count) * (total - count) : NaN;
      const columns = this.#stream.columns ?? 100;
      const head = `${label} ${renderBar(fraction)} ${count}/${total} ${formatSeconds(elapsed)}${Number.isNaN(eta) ? '' : ` eta ${formatSeconds(eta)}`}`;
      const text = detail ? `${head}  ${detail}` : head;
      this.#stream.write(`\r${text.slice(0, Math.max(20, columns - 1))}\x1b[K`);
      this.#lineOpen = true;
    };
    draw();
    this.#redraw = draw;
    return {
      tick: (text?: string, steps = 1) => {
        if (finished) return;
        count = Math.min(total, count + steps);
        if (text !== undefined) detail = text;
        if (this.#interactive) {
          draw();
          return;
        }
        // Plain lines at most every `plainIntervalMs` (default 2 s), so logs stay short.
        const now = this.#clock();
        if (text && now - lastLine >= this.#plainIntervalMs) {
          lastLine = now;
          this.#stream.write(`${label} ${count}/${total} ${text}\n`);
        }
      },
      note: (text: string) => {
        if (finished) return;
        detail = text;
        draw();
      },
      done: (summary?: string) => {
        if (finished) return;
        finished = true;
        if (this.#redraw === draw) this.#redraw = null;
        const elapsed = formatSeconds((this.#clock() - started) / 1000);
        this.#clearLine();
        this.#stream.write(`${label} ${count}/${total} done in ${elapsed}${summary ? `: ${summary}` : ''}\n`);
      },
    };
  }

  /** Redraws the running task (its clock keeps moving during a long measurement). */
  refresh(): void {
    this.#redraw?.();
  }

  #clearLine(): void {
    if (this.#interactive && this.#lineOpen) {
      this.#stream.write('\r\x1b[K');
      this.#lineOpen = false;
    }
  }
}
