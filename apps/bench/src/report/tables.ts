/**
 * The tables a run prints (and the HTML report shows), built from the results file only: what
 * the terminal says is exactly what was measured and saved.
 */
import { formatBytes, formatDuration, formatNumber, formatRatio, type Table } from '../cli/table.js';
import type { BenchResults, GradientResults, LearnResults, LearnSummary, PeerResults, SpeedResults } from '../results.js';
import { findings, type Finding } from './findings.js';
import { summarize } from './learn-summary.js';

/** Peak RSS, or "< 1 MiB" under the noise floor. */
function peakText(bytes: number | null): string {
  if (bytes === null) return '—';
  return bytes < 2 ** 20 ? '< 1 MiB' : formatBytes(bytes);
}

function compactRate(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '—';
  if (value >= 1e6) return `${formatNumber(value / 1e6)}M`;
  if (value >= 1e3) return `${formatNumber(value / 1e3)}k`;
  return formatNumber(value);
}

/** Speed tables: one per backend and mode, a column per length, then throughput, memory and exponents. */
export function speedTables(speed: SpeedResults): Table[] {
  const tables: Table[] = [];
  const backends = [...new Set(speed.rows.map((row) => row.backend))];
  for (const backend of backends) {
    for (const mode of ['forward', 'train'] as const) {
      const rows = speed.rows.filter((row) => row.backend === backend && row.mode === mode);
      if (rows.length === 0) continue;
      const lengths = [...new Set(rows.map((row) => row.length))].sort((a, b) => a - b);
      const models = [...new Set(rows.map((row) => row.model))];
      const body = models.map((model) => {
        const mine = rows.filter((row) => row.model === model);
        const measured = mine.filter((row) => row.medianMs !== null).sort((a, b) => a.length - b.length);
        const last = measured.at(-1);
        const fitOf = (figure: 'time' | 'memory' | 'allocated') =>
          speed.fits.find((entry) => entry.backend === backend && entry.model === model && entry.mode === mode && entry.figure === figure);
        const fit = (figure: 'time' | 'memory'): string => {
          const found = fitOf(figure);
          if (found) return formatNumber(found.exponent, 2);
          // No measurable peak: fall back to the allocation volume's exponent, marked.
          const allocated = figure === 'memory' ? fitOf('allocated') : undefined;
          return allocated ? `${formatNumber(allocated.exponent, 2)}ᵃ` : '—';
        };
        return [
          model,
          ...lengths.map((length) => {
            const row = mine.find((entry) => entry.length === length);
            if (!row) return '';
            return row.medianMs === null ? 'skip' : formatDuration(row.medianMs);
          }),
          last ? `${compactRate(last.tokensPerSecond)} @${last.length}` : '—',
          last ? peakText(last.peakRssBytes) : '—',
          last ? formatBytes(last.allocatedBytes) : '—',
          fit('time'),
          fit('memory'),
        ];
      });
      const skipped = rows.filter((row) => row.skipped).map((row) => `${row.model} @${row.length}: ${row.skipped}`);
      tables.push({
        title: `Speed and memory: ${mode === 'forward' ? 'forward' : 'training step (forward + backward)'}, backend ${backend}, batch ${speed.batch}, d = ${speed.width}`,
        columns: [
          { header: 'model' },
          ...lengths.map((length) => ({ header: `L=${length}`, align: 'right' as const })),
          { header: 'tokens/s', align: 'right' },
          { header: 'peak RSS', align: 'right' },
          { header: 'allocated', align: 'right' },
          { header: 'time exp', align: 'right' },
          { header: 'mem exp', align: 'right' },
        ],
        rows: body,
        notes: [
          'Median time per call. Peak RSS: highest resident set size above the level before the call; allocated: bytes of tensor buffers created by the call (both at the largest length measured).',
          'Exponents: least-squares slope of log(time or memory) against log(length) over the largest lengths (2 ≈ quadratic, 1 ≈ linear); time uses the fastest run at each length (the least disturbed by other processes); ᵃ = fitted on allocated bytes where the peak stayed under 1 MiB.',
          ...skipped.slice(0, 8),
        ],
      });
    }
  }
  if (speed.learnSteps && speed.learnSteps.length > 0) {
    const lengths = [...new Set(speed.learnSteps.map((row) => row.length))].sort((a, b) => a - b);
    const models = [...new Set(speed.learnSteps.map((row) => row.model))];
    tables.push({
      title: `Speed and memory: training step of the learning suite's models (batch ${speed.learnSteps[0].batch}, CPU)`,
      columns: [{ header: 'model' }, { header: 'width', align: 'right' }, ...lengths.map((length) => ({ header: `T=${length}`, align: 'right' as const }))],
      rows: models.map((model) => {
        const mine = speed.learnSteps!.filter((row) => row.model === model);
        return [model, String(mine[0]?.hidden ?? ''), ...lengths.map((length) => {
          const row = mine.find((entry) => entry.length === length);
          return row ? formatDuration(row.medianMs) : '';
        })];
      }),
      notes: ['Median wall time of one step: forward, loss, backward, gradient clipping and the Adam update, at the learning suite\'s model sizes and batch (adding problem). Steps × this ≈ a run\'s training time.'],
    });
  }
  const unavailable = speed.backends.filter((backend) => !backend.available);
  if (unavailable.length > 0) {
    tables.push({
      title: 'Speed and memory: backends skipped',
      columns: [{ header: 'backend' }, { header: 'reason' }],
      rows: unavailable.map((backend) => [backend.name, backend.reason ?? 'unavailable']),
    });
  }
  return tables;
}

/** A score as the table shows it: accuracy in %, MSE as a number, with the spread over seeds. */
function scoreText(entry: LearnSummary, metric: 'accuracy' | 'mse'): string {
  const value = metric === 'accuracy' ? `${(entry.mean * 100).toFixed(1)}%` : formatNumber(entry.mean);
  if (entry.seeds < 2) return value;
  return `${value} ± ${metric === 'accuracy' ? (entry.spread * 100).toFixed(1) : formatNumber(entry.spread)}`;
}

/** `conv`, `↗` (still improving) or a count such as `2/3 conv` over seeds. */
export function convergenceText(entry: Pick<LearnSummary, 'seeds' | 'converged' | 'stillImproving'>): string {
  if (entry.seeds === 1) return entry.converged === 1 ? 'conv' : entry.stillImproving === 1 ? '↗' : '?';
  return `${entry.converged}/${entry.seeds} conv`;
}

/**
 * "Time to target" for one result: the mean wall time to the target over the seeds that got
 * there, or "not reached within N steps".
 */
export function timeToTargetText(entry: Pick<LearnSummary, 'seeds' | 'reached' | 'meanSecondsToTarget' | 'meanStepsToTarget' | 'steps'>): string {
  if (entry.reached === 0 || entry.meanSecondsToTarget === null) return `not reached within ${entry.steps} steps`;
  const partial = entry.reached < entry.seeds ? ` (${entry.reached}/${entry.seeds} seeds)` : '';
  return `${entry.meanSecondsToTarget.toFixed(1)} s @${Math.round(entry.meanStepsToTarget ?? 0)}${partial}`;
}

/** One table per task: a row per model, a column per length (score, ✓ = beats baseline, conv/↗), and the baseline row. */
export function learnTables(learn: LearnResults): Table[] {
  const summary = learn.summary?.length ? learn.summary : summarize(learn.rows);
  return learn.tasks.map((task) => {
    const entries = summary.filter((entry) => entry.task === task.name);
    const models = [...new Set(entries.map((entry) => entry.model))];
    const metric = task.metric;
    const body = models.map((model) => {
      const mine = entries.filter((entry) => entry.model === model);
      const seconds = mine.filter((entry) => !entry.sharedWith).reduce((total, entry) => total + entry.meanSeconds * entry.seeds, 0);
      const shared = mine.every((entry) => entry.sharedWith) ? mine[0]?.sharedWith : undefined;
      const row = learn.rows.find((entry) => entry.task === task.name && entry.model === model);
      return [
        shared ? `${model} ≡` : model,
        row ? `${row.parameters} (h ${row.hidden})` : '—',
        ...task.lengths.map((length) => {
          const entry = mine.find((item) => item.length === length);
          if (!entry) return '';
          return `${scoreText(entry, metric)}${entry.beatsBaseline ? ' ✓' : ''} ${convergenceText(entry)}${entry.sharedWith && !shared ? ' ≡' : ''}`;
        }),
        String(mine[0]?.steps ?? '—'),
        shared ? `(= ${shared})` : `${seconds.toFixed(1)} s`,
      ];
    });
    body.push([
      'baseline',
      '0',
      ...task.lengths.map((length) => {
        const baseline = task.baselines.find((entry) => entry.length === length);
        return baseline ? (metric === 'accuracy' ? `${(baseline.score * 100).toFixed(1)}%` : formatNumber(baseline.score)) : '';
      }),
      '—',
      '—',
    ]);
    const seeds = learn.config.seeds;
    return {
      title: `Learning: ${task.title}, ${metric === 'accuracy' ? 'accuracy on the answers (higher is better)' : 'MSE (lower is better)'}`,
      columns: [
        { header: 'model' },
        { header: 'params', align: 'right' },
        ...task.lengths.map((length) => ({ header: `T=${length}`, align: 'right' as const })),
        { header: 'steps', align: 'right' },
        { header: 'train time', align: 'right' },
      ],
      rows: body,
      notes: [
        `${seeds > 1 ? `Mean ± standard deviation over ${seeds} seeds. ` : 'One seed (--full runs 3). '}✓ = beats the baseline (${task.baselines[0]?.name ?? '—'}, computed on the same evaluation sequences) by a clear margin.`,
        `conv = converged (loss fell < 1% over the last fifth of training); ↗ = still improving at the step budget: more steps would likely change this result.${seeds > 1 ? ' With seeds: how many converged.' : ''}`,
        ...(body.some((row) => row.some((cell) => cell.endsWith('≡'))) ? ['≡ = not trained separately: the dense core runs the same fused kernel as memory-efficient attention when no weights are needed, from the same initial weights, so it shares those runs.'] : []),
        `Params: without the input weights ${'(which grow with the vocabulary)'}; h = hidden size or model width. Source: ${task.source}.`,
      ],
    };
  });
}

/** Time to the task's target per model and length: the practical comparison. */
export function timeToTargetTable(learn: LearnResults): Table {
  const summary = learn.summary?.length ? learn.summary : summarize(learn.rows);
  const rows: string[][] = [];
  for (const task of learn.tasks) {
    const entries = summary.filter((entry) => entry.task === task.name);
    for (const model of [...new Set(entries.map((entry) => entry.model))]) {
      const mine = entries.filter((entry) => entry.model === model);
      rows.push([
        task.name,
        `${task.metric === 'accuracy' ? '≥' : '≤'} ${task.metric === 'accuracy' ? `${Math.round(task.target * 100)}%` : task.target}`,
        model,
        ...learnLengths(learn).map((length) => {
          const entry = mine.find((item) => item.length === length);
          return entry ? `${timeToTargetText(entry)}${entry.sharedWith ? ' ≡' : ''}` : '';
        }),
      ]);
    }
  }
  return {
    title: 'Learning: time to target (wall time of training until the target score, per model and length)',
    columns: [{ header: 'task' }, { header: 'target' }, { header: 'model' }, ...learnLengths(learn).map((length) => ({ header: `T=${length}`, align: 'right' as const }))],
    rows,
    notes: [
      'Seconds of training until the mean score on one curve window of training batches first met the target (@ the step); mean over the seeds that reached it. Training batches are fresh samples, so this estimates held-out performance.',
      `Wall times come from ${learn.workers} training thread${learn.workers === 1 ? '' : 's'} running side by side, on a machine shared with other work: compare within a run.`,
    ],
  };
}

/** Every length the learning suite trained, ascending. */
function learnLengths(learn: LearnResults): number[] {
  return [...new Set(learn.tasks.flatMap((task) => task.lengths))].sort((a, b) => a - b);
}

/** The measured-vs-expected checks as a table (also in the HTML report). */
export function findingsTable(list: Finding[]): Table {
  return {
    title: 'Measured vs expected: claims from the literature checked against this run',
    columns: [{ header: 'topic' }, { header: 'expectation' }, { header: 'measured here' }, { header: 'verdict' }, { header: 'source' }],
    rows: list.map((entry) => [entry.topic, entry.expectation, entry.measured, entry.comment ? `${entry.verdict}: ${entry.comment}` : entry.verdict, entry.citation ?? '']),
  };
}

/** Gradient norms at a few distances, at initialisation (each length) and after training. */
export function gradientTable(gradients: GradientResults): Table {
  const maxDistance = Math.max(...gradients.rows.map((row) => row.norms.length - 1), 0);
  const distances = [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1023].filter((distance) => distance <= maxDistance);
  return {
    title: `Gradient flow: ‖∂loss(last step)/∂x_t‖ by distance from the last step (${gradients.task})`,
    columns: [
      { header: 'model' },
      { header: 'stage' },
      { header: 'T', align: 'right' },
      ...distances.map((distance) => ({ header: `d=${distance}`, align: 'right' as const })),
      { header: `far/near`, align: 'right' },
    ],
    rows: gradients.rows.map((row) => {
      const near = row.norms[0];
      const far = row.norms[row.norms.length - 1];
      return [
        row.model,
        row.stage === 'init' ? 'init' : `trained (${row.steps} steps)`,
        String(row.length ?? gradients.length),
        ...distances.map((distance) => (distance < row.norms.length ? formatNumber(row.norms[distance], 2) : '')),
        near > 0 ? formatNumber(far / near, 2) : '—',
      ];
    }),
    notes: ['far/near: the norm at the first position over the norm at the last; a tiny value means the earliest inputs barely move the loss.'],
  };
}

/** Peer timings per workload, and heed's speed-up against each. */
export function peerTables(peers: PeerResults): Table[] {
  const tables: Table[] = [];
  const workloads = [...new Set(peers.rows.map((row) => row.workload))];
  const rows: string[][] = [];
  for (const workload of workloads) {
    const mine = peers.rows.filter((row) => row.workload === workload);
    const heed = mine.filter((row) => row.library === 'heed' && row.medianMs !== null);
    const bestHeed = heed.length ? Math.min(...heed.map((row) => row.medianMs ?? Infinity)) : null;
    for (const row of mine) {
      const speedup = bestHeed !== null && row.medianMs !== null && row.library !== 'heed' ? row.medianMs / bestHeed : null;
      rows.push([
        workload,
        row.variant ? `${row.library} (${row.variant})` : row.library,
        row.medianMs === null ? `skipped: ${row.skipped ?? ''}` : `${formatDuration(row.medianMs)}${row.note ? ' (1 run)' : ''}`,
        row.flops && row.medianMs ? formatNumber(row.flops / (row.medianMs * 1e6), 3) : '',
        row.library === 'heed' ? '' : formatRatio(speedup),
        row.maxRelativeDifference === undefined || row.maxRelativeDifference === null ? '' : formatNumber(row.maxRelativeDifference, 2),
      ]);
    }
  }
  tables.push({
    title: 'Peers: the same work in other JavaScript libraries, in this run',
    columns: [
      { header: 'workload' },
      { header: 'library' },
      { header: 'median', align: 'right' },
      { header: 'GFLOP/s', align: 'right' },
      { header: 'heed speed-up', align: 'right' },
      { header: 'max rel diff', align: 'right' },
    ],
    rows,
    notes: [
      'heed speed-up = peer time / heed time (above 1: heed is faster). Max rel diff: largest |peer − heed| / max|heed| over the outputs, checking both computed the same thing.',
      ...peers.libraries.filter((library) => !library.available).map((library) => `${library.name} skipped: ${library.reason ?? 'unavailable'}`),
    ],
  });
  if (peers.targets.length > 0) {
    tables.push({
      title: 'Issue 8 targets (CPU speed), measured in this run',
      columns: [{ header: 'target' }, { header: 'measured', align: 'right' }, { header: 'goal', align: 'right' }, { header: 'met' }, { header: 'detail' }],
      notes: peers.targetSizes
        ? ['Measured at issue 8\'s sizes.']
        : ['Quick preset: attention, LSTM and training ran at smaller sizes than issue 8 names (L = 4096, T = 1024), so these ratios are indicative; `--full` (or `--full --suite peers`) measures the target sizes.'],
      rows: peers.targets.map((target) => [
        target.description,
        target.measured === null ? '—' : `${formatNumber(target.measured)} ${target.unit}`,
        `${target.direction === '>=' ? '≥' : '≤'} ${formatNumber(target.target)} ${target.unit}`,
        target.met === null ? 'n/a' : target.met ? 'yes' : 'MISSED',
        target.detail,
      ]),
    });
  }
  return tables;
}

/** Every table of a results file, in report order. */
export function allTables(results: BenchResults): Table[] {
  return [
    ...(results.speed ? speedTables(results.speed) : []),
    ...(results.learn ? [...learnTables(results.learn), timeToTargetTable(results.learn)] : []),
    ...(results.gradients && results.gradients.rows.length > 0 ? [gradientTable(results.gradients)] : []),
    ...(results.peers ? peerTables(results.peers) : []),
    ...(() => {
      const list = findings(results);
      return list.length > 0 ? [findingsTable(list)] : [];
    })(),
  ];
}
