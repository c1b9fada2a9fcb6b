/**
 * The report's charts, built from a results file: time and memory against length (log-log) per
 * backend and mode, score against length per task with the baseline dashed, gradient norm
 * against distance, and peer times as bars.
 */
import { formatBytes, formatDuration } from '../cli/table.js';
import type { BenchResults } from '../results.js';
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
    for (const task of learn.tasks) {
      const rows = learn.rows.filter((row) => row.task === task.name);
      if (rows.length === 0) continue;
      const models = [...new Set(rows.map((row) => row.model))];
      const series: Series[] = models.map((model) => ({
        name: model,
        points: rows.filter((row) => row.model === model).map((row) => [row.length, row.score]),
      }));
      series.push({ name: 'baseline', dashed: true, color: '#7F7F7F', points: task.baselines.map((baseline) => [baseline.length, baseline.score]) });
      const accuracy = task.metric === 'accuracy';
      charts.push({
        file: `learn-${task.name}`,
        section: 'learn',
        caption: `${task.title}: ${accuracy ? 'accuracy' : 'mean squared error'} against sequence length after ${rows[0].steps} training steps; dashed: the trivial baseline.`,
        svg: lineChart({
          title: task.title,
          subtitle: `${accuracy ? 'accuracy on the answers (higher is better)' : 'MSE (lower is better)'}, ${rows[0].steps} steps each`,
          xLabel: 'sequence length',
          yLabel: accuracy ? 'accuracy' : 'MSE',
          xScale: 'log',
          yScale: accuracy ? 'linear' : 'log',
          xTicks: task.lengths.length > 1 ? [...task.lengths].sort((a, b) => a - b) : undefined,
          yDomain: accuracy ? [0, 1] : undefined,
          series,
          formatY: accuracy ? (value) => `${Math.round(value * 100)}%` : undefined,
        }),
      });
    }
  }
  const gradients = results.gradients;
  if (gradients && gradients.rows.length > 0) {
    for (const stage of ['init', 'trained'] as const) {
      const rows = gradients.rows.filter((row) => row.stage === stage);
      if (rows.length === 0) continue;
      charts.push({
        file: `gradients-${stage}`,
        section: 'gradients',
        caption: `‖∂loss/∂x_t‖ against the distance from the last step, ${stage === 'init' ? 'at initialisation' : 'after training'} (${gradients.task}, T = ${gradients.length}; log y).`,
        svg: lineChart({
          title: `Gradient norm vs distance (${stage === 'init' ? 'at initialisation' : 'after training'})`,
          subtitle: `${gradients.task}, T = ${gradients.length}`,
          xLabel: 'distance from the last step (t_last − t)',
          yLabel: '‖∂loss/∂x_t‖',
          xScale: 'linear',
          yScale: 'log',
          series: rows.map((row) => ({ name: row.model, points: row.norms.map((norm, distance) => [distance, norm] as [number, number]) })),
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
