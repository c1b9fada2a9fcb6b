/**
 * Word indices (i32) of the thread pool's control block at the start of the shared memory.
 *
 * Job protocol: the posting thread closes `NEXT`, writes the job (`KERNEL`, `ARGS`, `CHUNKS`,
 * `ONCE`), resets `DONE`, opens `NEXT` as `tag << 16` and bumps `GENERATION`. Every thread, the
 * poster included, claims chunk indices by compare-and-swap on `NEXT`, which only succeeds while
 * the tag matches the job it read, so a late worker can never run a stale or half-written job.
 * Which thread runs a chunk never changes its result: results depend only on the chunking.
 */
export const Control = {
  GENERATION: 0,
  KERNEL: 1,
  ARGS: 2,
  CHUNKS: 3,
  NEXT: 4,
  DONE: 5,
  /** 1 when each thread runs at most one chunk (jobs whose chunks meet at barriers). */
  ONCE: 6,
  STOP: 7,
  READY: 8,
  /** Set by a worker whose chunk threw; the posting thread then throws too. */
  FAILED: 9,
  /** Barrier words used inside kernels (count of arrivals, then the barrier's generation). */
  BARRIER_COUNT: 16,
  BARRIER_GENERATION: 17,
  /** Words reserved for the control block (the job arguments follow). */
  WORDS: 64,
} as const;

/** `NEXT` while a job is being written: a tag no job uses. */
export const CLOSED = 0x7fff0000;

/**
 * The source of a pool worker (plain JavaScript, run with `eval` in Node and from a Blob URL in
 * browsers). It instantiates the kernel module on the shared memory, says it is ready, then
 * sleeps on `GENERATION` and claims chunks of each posted job.
 */
export const workerSource = `
'use strict';
const C = ${JSON.stringify(Control)};
const CLOSED = ${CLOSED};
function serve(data, reportError) {
  const instance = new WebAssembly.Instance(data.module, { env: { memory: data.memory } });
  const kernels = data.kernelNames.map((name) => instance.exports[name]);
  const control = new Int32Array(data.memory.buffer, 0, C.WORDS);
  let seen = Atomics.load(control, C.GENERATION);
  Atomics.add(control, C.READY, 1);
  Atomics.notify(control, C.READY);
  try {
    for (;;) {
      Atomics.wait(control, C.GENERATION, seen);
      if (Atomics.load(control, C.STOP)) return;
      seen = Atomics.load(control, C.GENERATION);
      const kernel = kernels[Atomics.load(control, C.KERNEL)];
      const args = Atomics.load(control, C.ARGS);
      const chunks = Atomics.load(control, C.CHUNKS);
      const once = Atomics.load(control, C.ONCE);
      const tag = (seen & 0x7fff) << 16;
      for (;;) {
        const next = Atomics.load(control, C.NEXT);
        if (next === CLOSED || (next & 0x7fff0000) !== tag) break;
        const index = next & 0xffff;
        if (index >= chunks) break;
        if (Atomics.compareExchange(control, C.NEXT, next, next + 1) !== next) continue;
        try {
          kernel(args, index, data.id);
        } catch (error) {
          // Leave the pool (this instance may be broken) but finish the chunk's bookkeeping,
          // so the posting thread is not left waiting; it throws instead.
          Atomics.store(control, C.FAILED, 1);
          Atomics.sub(control, C.READY, 1);
          Atomics.add(control, C.DONE, 1);
          Atomics.notify(control, C.DONE);
          reportError(String((error && error.stack) || error));
          return;
        }
        if (Atomics.add(control, C.DONE, 1) + 1 === chunks) Atomics.notify(control, C.DONE);
        if (once) break;
      }
    }
  } catch (error) {
    Atomics.sub(control, C.READY, 1);
    reportError(String((error && error.stack) || error));
  }
}
if (typeof process !== 'undefined' && process.versions && process.versions.node) {
  const { workerData, parentPort } = require('node:worker_threads');
  serve(workerData, (message) => parentPort.postMessage({ error: message }));
} else {
  self.onmessage = (event) => serve(event.data, (message) => self.postMessage({ error: message }));
}
`;
