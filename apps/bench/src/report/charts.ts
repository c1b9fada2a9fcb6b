/**
 * The report's charts, built from a results file: time and memory against length (log-log) per
 * backend and mode, score against length per task with the baseline dashed, gradient norm
 * against distance, and peer times as bars.
 */
import { formatBytes, formatDuration } from '../cli/table.js';
import type { BenchResults } from '../results.js';
import { summarize } from './learn-summary.js';
import { barChart, lineChart, type Series } from './svg-chart.js';

/** A chart: its file name (without `.svg`), a caption, and the SVG text. */
export interface Chart {
  file: string;
  section: 'speed' | 'learn' | 'gradients' | 'peers';
  caption: string;
  svg: string;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Builds every chart the results support. */
export function buildCharts(results: BenchResults): Chart[] {
  const charts: Chart[] = [];
  const speed = results.speed;
  if (speed) {
    const backends = [...new Set(speed.rows.map((row) => row.backend))];
    for (const backend of backends) {
      for (const mode of ['forward', 'train'] as const) {
        const rows = speed.rows.filter((row) => row.backend === backend && row.mode === mode && row.medianMs !== null);
        if (rows.length === 0) continue;
        const models = [...new Set(rows.map((row) => row.model))];
        const label = mode === 'forward' ? 'forward' : 'training step';
        const exponent = (model: string, figure: 'time' | 'memory' | 'allocated'): string => {
          const fit = speed.fits.find((entry) => entry.backend === backend && entry.model === model && entry.mode === mode && entry.figure === figure);
          return fit ? ` (n^${fit.exponent.toFixed(2)})` : '';
        };
        const timeSeries: Series[] = models.map((model) => ({
          name: `${model}${exponent(model, 'time')}`,
          points: rows.filter((row) => row.model === model).map((row) => [row.length, row.medianMs ?? NaN]),
        }));
        charts.push({
          file: `speed-${slug(backend)}-${mode}-time`,
          section: 'speed',
          caption: `Time per ${label} against sequence length, backend ${backend} (log-log; slope = scaling exponent).`,
          svg: lineChart({
            title: `${label[0].toUpperCase()}${label.slice(1)} time vs length (${backend})`,
            subtitle: `batch ${speed.batch}, d = ${speed.width}; points: median of repeats; n^k: fit on the fastest runs`,
            xLabel: 'sequence length',
            yLabel: 'time per call',
            xScale: 'log',
            yScale: 'log',
            series: timeSeries,
            formatY: (value) => formatDuration(value),
          }),
        });
        const memorySeries: Series[] = models.map((model) => ({
          name: `${model}${exponent(model, 'memory')}`,
          points: rows.filter((row) => row.model === model && (row.peakRssBytes ?? 0) >= 2 ** 20).map((row) => [row.length, row.peakRssBytes ?? NaN]),
        }));
        const allocatedSeries: Series[] = models.map((model) => ({
          name: `${model}${exponent(model, 'allocated')}`,
          points: rows.filter((row) => row.model === model && (row.allocatedBytes ?? 0) > 0).map((row) => [row.length, row.allocatedBytes ?? NaN]),
        }));
        if (allocatedSeries.some((series) => series.points.length > 0)) {
          charts.push({
            file: `speed-${slug(backend)}-${mode}-allocated`,
            section: 'speed',
            caption: `Bytes of tensor buffers allocated by one ${label} against sequence length, backend ${backend} (log-log).`,
            svg: lineChart({
              title: `${label[0].toUpperCase()}${label.slice(1)} allocation vs length (${backend})`,
              subtitle: 'bytes of every tensor buffer created during one call',
              xLabel: 'sequence length',
              yLabel: 'bytes allocated',
              xScale: 'log',
              yScale: 'log',
              series: allocatedSeries,
              formatY: (value) => formatBytes(value),
            }),
          });
        }
        if (memorySeries.some((series) => series.points.length > 0)) {
          charts.push({
            file: `speed-${slug(backend)}-${mode}-memory`,
            section: 'speed',
            caption: `Peak memory of one ${label} against sequence length, backend ${backend} (log-log).`,
            svg: lineChart({
              title: `${label[0].toUpperCase()}${label.slice(1)} peak memory vs length (${backend})`,
              subtitle: 'resident set size above the level before the call (points under 1 MiB left out)',
              xLabel: 'sequence length',
              yLabel: 'peak memory',
              xScale: 'log',
              yScale: 'log',
              series: memorySeries,
              formatY: (value) => formatBytes(value),
            }),
          });
        }
      }
    }
  }
  const learn = results.learn;
  if (learn) {
    const summary = learn.summary?.length ? learn.summary : summarize(learn.rows);
    for (const task of learn.tasks) {
      const entries = summary.filter((entry) => entry.task === task.name && !entry.sharedWith);
      if (entries.length === 0) continue;
      const models = [...new Set(entries.map((entry) => entry.model))];
      const steps = entries[0].steps;
      const accuracy = task.metric === 'accuracy';
      const lengths = [...task.lengths].sort((a, b) => a - b);
      const series: Series[] = models.map((model) => ({
        name: model,
        points: entries.filter((entry) => entry.model === model).map((entry) => [entry.length, entry.mean]),
      }));
      series.push({ name: 'baseline', dashed: true, color: '#7F7F7F', points: task.baselines.map((baseline) => [baseline.length, baseline.score]) });
      const shared = summary.find((entry) => entry.task === task.name && entry.sharedWith);
      charts.push({
        file: `learn-${task.name}`,
        section: 'learn',
        caption: `${task.title}: ${accuracy ? 'accuracy' : 'mean squared error'} against sequence length after ${steps} training steps${learn.config.seeds > 1 ? ` (mean of ${learn.config.seeds} seeds)` : ''}; dashed: the trivial baseline.${shared ? ` ${shared.model} shares the ${shared.sharedWith} runs.` : ''}`,
        svg: lineChart({
          title: task.title,
          subtitle: `${accuracy ? 'accuracy on the answers (higher is better)' : 'MSE (lower is better)'}, ${steps} steps each`,
          xLabel: 'sequence length',
          yLabel: accuracy ? 'accuracy' : 'MSE',
          xScale: 'log',
          yScale: accuracy ? 'linear' : 'log',
          xTicks: lengths.length > 1 ? lengths : undefined,
          yDomain: accuracy ? [0, 1] : undefined,
          series,
          formatY: accuracy ? (value) => `${Math.round(value * 100)}%` : undefined,
        }),
      });
      // Time to target against length: only the results that got there (the table lists the rest).
      const reachedSeries: Series[] = models
        .map((model) => ({
          name: model,
          points: entries.filter((entry) => entry.model === model && entry.meanSecondsToTarget !== null).map((entry) => [entry.length, entry.meanSecondsToTarget ?? NaN] as [number, number]),
        }))
        .filter((line) => line.points.length > 0);
      if (reachedSeries.length > 0) {
        charts.push({
          file: `learn-${task.name}-time-to-target`,
          section: 'learn',
          caption: `${task.title}: wall time of training until ${accuracy ? `${Math.round(task.target * 100)}% accuracy` : `MSE ≤ ${task.target}`} against sequence length (log-log); a model missing at a length did not reach the target within ${steps} steps.`,
          svg: lineChart({
            title: `${task.title}: time to target`,
            subtitle: `target ${accuracy ? `${Math.round(task.target * 100)}%` : `MSE ≤ ${task.target}`}; missing points: not reached within ${steps} steps`,
            xLabel: 'sequence length',
            yLabel: 'seconds to target',
            xScale: 'log',
            yScale: 'log',
            xTicks: lengths.length > 1 ? lengths : undefined,
            series: reachedSeries,
            formatY: (value) => formatDuration(value * 1000),
          }),
        });
      }
      // Learning curves at the longest length (seed 0).
      const longest = lengths.at(-1);
      const curves = learn.rows.filter((row) => row.task === task.name && row.length === longest && row.seedIndex === 0 && !row.sharedWith);
      if (curves.length > 0) {
        charts.push({
          file: `learn-${task.name}-curves`,
          section: 'learn',
          caption: `${task.title}: training loss against step at T = ${longest} (seed 0; each point the mean over ${learn.config.lossEvery} steps).`,
          svg: lineChart({
            title: `${task.title}: learning curves, T = ${longest}`,
            subtitle: `training loss (${task.metric === 'mse' ? 'MSE' : 'cross-entropy'}), batch ${learn.config.batch}`,
            xLabel: 'training step',
            yLabel: 'loss',
            xScale: 'linear',
            yScale: 'log',
            series: curves.map((row) => ({ name: row.model, points: row.curve.map((point) => [point.step, point.loss] as [number, number]) })),
          }),
        });
      }
    }
  }
  const gradients = results.gradients;
  if (gradients && gradients.rows.length > 0) {
    const groups = [...new Set(gradients.rows.map((row) => `${row.stage}:${row.length ?? gradients.length}`))];
    for (const group of groups) {
      const [stage, lengthText] = group.split(':');
      const length = Number(lengthText);
      const rows = gradients.rows.filter((row) => row.stage === stage && (row.length ?? gradients.length) === length);
      const when = stage === 'init' ? 'at initialisation' : 'after training';
      charts.push({
        file: `gradients-${stage}-${length}`,
        section: 'gradients',
        caption: `‖∂loss/∂x_t‖ against the distance from the last step, ${when} (${gradients.task}, T = ${length}; log y; points that underflowed to 0 are left out).`,
        svg: lineChart({
          title: `Gradient norm vs distance (${when}, T = ${length})`,
          subtitle: gradients.task,
          xLabel: 'distance from the last step (t_last − t)',
          yLabel: '‖∂loss/∂x_t‖',
          xScale: 'linear',
          yScale: 'log',
          series: rows.map((row) => ({ name: row.model, points: row.norms.map((norm, distance) => [distance, norm] as [number, number]).filter(([, norm]) => norm > 0) })),
        }),
      });
    }
  }
  const peers = results.peers;
  if (peers) {
    for (const workload of [...new Set(peers.rows.map((row) => row.workload))]) {
      const rows = peers.rows.filter((row) => row.workload === workload && row.medianMs !== null);
      if (rows.length === 0) continue;
      charts.push({
        file: `peers-${slug(workload)}`,
        section: 'peers',
        caption: `${workload}: median time per library in this run (log scale).`,
        svg: barChart({
          title: workload,
          unit: 'ms',
          bars: rows.map((row) => ({
            label: row.variant ? `${row.library} (${row.variant})` : row.library,
            value: row.medianMs ?? NaN,
            color: row.library === 'heed' ? '#0072B2' : '#9a9a9a',
          })),
        }),
      });
    }
  }
  return charts;
}
