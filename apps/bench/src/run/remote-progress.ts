/**
 * Progress reporting from the worker thread: each call becomes a message that the main thread
 * replays on its terminal bar.
 */
import type { ProgressReporter, ProgressTask } from '../cli/progress.js';
import type { WorkerMessage } from './messages.js';

/** A `ProgressReporter` that forwards everything through `send`. */
export class RemoteProgress implements ProgressReporter {
  #next = 1;

  constructor(private readonly send: (message: WorkerMessage) => void) {}

  start(label: string, total: number): ProgressTask {
    const id = this.#next++;
    this.send({ type: 'progress-start', id, label, total });
    return {
      tick: (detail?: string, steps?: number) => this.send({ type: 'progress-tick', id, detail, steps }),
      note: (detail: string) => this.send({ type: 'progress-note', id, detail }),
      done: (summary?: string) => this.send({ type: 'progress-done', id, summary }),
    };
  }

  log(message: string): void {
    this.send({ type: 'log', message });
  }
}

/** Replays worker progress messages on a local reporter. Returns false for other messages. */
export function replayProgress(message: WorkerMessage, reporter: ProgressReporter, tasks: Map<number, ProgressTask>): boolean {
  switch (message.type) {
    case 'progress-start':
      tasks.set(message.id, reporter.start(message.label, message.total));
      return true;
    case 'progress-tick':
      tasks.get(message.id)?.tick(message.detail, message.steps);
      return true;
    case 'progress-note':
      tasks.get(message.id)?.note(message.detail);
      return true;
    case 'progress-done':
      tasks.get(message.id)?.done(message.summary);
      tasks.delete(message.id);
      return true;
    case 'log':
      reporter.log(message.message);
      return true;
    default:
      return false;
  }
}
