/**
 * What a library contributes to the peers suite: for each workload it supports, a prepared run
 * (sessions built, weights loaded, inputs uploaded) whose call is what gets timed.
 */
import type { Workload } from './workloads.js';

/** One ready-to-time run. `run` returns the output for the correctness check (or null). */
export interface PreparedRun {
  variant: string;
  run(): Promise<Float32Array | null>;
  dispose?(): void;
}

/** A library under comparison. */
export interface Peer {
  library: string;
  /** Loads the library; throws with a readable reason when it cannot. */
  load(): Promise<void>;
  /** The runs for `workload` (several variants allowed), or a reason it has none. */
  prepare(workload: Workload): Promise<PreparedRun[] | string>;
  /** Releases everything (backends, sessions). */
  close?(): Promise<void>;
}
