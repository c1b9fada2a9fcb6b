import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultOptions } from '../src/cli/args.js';
import { presetConfig } from '../src/config.js';
import { machineInfo } from '../src/harness/machine.js';
import { buildCharts } from '../src/report/charts.js';
import { findings } from '../src/report/findings.js';
import { publishedResults } from '../src/report/published.js';
import { lineChart, linearTicks, logTicks } from '../src/report/svg-chart.js';
import { allTables } from '../src/report/tables.js';
import { writeReport } from '../src/report/write.js';
import { RESULTS_SCHEMA, type BenchResults, type LearnRow, type SpeedRow } from '../src/results.js';
import { refit } from '../src/suites/speed.js';

function speedRow(model: string, length: number, ms: number, bytes: number): SpeedRow {
  return { backend: 'cpu', model, mode: 'forward', length, batch: 1, width: 64, medianMs: ms, minMs: ms, samplesMs: [ms], tokensPerSecond: length / (ms / 1000), peakRssBytes: bytes, arrayBufferBytes: bytes, allocatedBytes: bytes };
}

function learnRow(fields: Partial<LearnRow> & Pick<LearnRow, 'task' | 'length' | 'kind' | 'score'>): LearnRow {
  const metric = fields.task === 'adding' ? 'mse' : 'accuracy';
  const baseline = fields.baseline ?? (metric === 'mse' ? 0.167 : 0.125);
  return {
    model: fields.kind.startsWith('transformer-') ? `transformer (${fields.kind.slice(12)})` : fields.kind,
    seedIndex: 0,
    parameters: 100,
    hidden: 10,
    metric,
    baseline,
    baselineName: metric === 'mse' ? 'always answer 1' : 'memoryless',
    beatsBaseline: metric === 'mse' ? fields.score <= baseline * 0.8 : fields.score >= baseline + 0.05,
    steps: 10,
    seconds: 1,
    finalLoss: fields.score,
    curve: [],
    convergence: { status: 'converged', relativeDrop: 0 },
    target: { metric, value: metric === 'mse' ? 0.05 : 0.9 },
    reached: null,
    seed: 1,
    ...fields,
  };
}

function sampleResults(): BenchResults {
  const options = defaultOptions('out');
  const results: BenchResults = {
    schema: RESULTS_SCHEMA,
    status: 'interrupted',
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: null,
    durationSeconds: 12,
    command: 'heed-bench --suite speed',
    options: { preset: options.preset, suites: ['speed', 'learn'], backends: options.backends, seed: options.seed },
    machine: machineInfo(),
    versions: { '@heed/tensor': '0.1.0', 'onnxruntime-node': null },
    completedSuites: ['speed'],
    suiteSeconds: { speed: 12 },
    published: publishedResults(),
    errors: [],
    notes: [],
    speed: {
      width: 64,
      batch: 1,
      lengths: [128, 256, 512],
      gpu: { lengths: [128], modes: ['forward'] },
      backends: [{ name: 'cpu', available: true }, { name: 'gpu:headlessgl', available: false, reason: 'no X server' }],
      models: [],
      rows: [
        // Quadratic time and memory for full attention, linear for the LSTM.
        ...[128, 256, 512].map((length) => speedRow('full attention', length, (length / 128) ** 2, 2 ** 20 * (length / 128) ** 2)),
        ...[128, 256, 512].map((length) => speedRow('lstm', length, length / 128, 2 ** 21)),
      ],
      fits: [],
      notes: [],
    },
    learn: {
      config: { ...presetConfig('quick').learn, steps: 10 },
      tasks: [{ name: 'adding', title: 'Adding problem', source: 'H&S 1997', metric: 'mse', target: 0.05, lengths: [128], baselines: [{ length: 128, name: 'always answer 1', score: 0.167 }] }],
      models: [],
      rows: [
        learnRow({ task: 'adding', length: 128, kind: 'lstm', score: 0.03, reached: { step: 8, seconds: 0.8 } }),
        learnRow({ task: 'adding', length: 128, kind: 'rnn', score: 0.165 }),
      ],
      summary: [],
      seconds: 2,
      workers: 1,
      notes: [],
    },
  };
  refit(results.speed!, 'cpu', 'full attention', 'forward');
  refit(results.speed!, 'cpu', 'lstm', 'forward');
  return results;
}

describe('report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heed-bench-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fits exponents from the rows', () => {
    const results = sampleResults();
    const exponent = (model: string, figure: string) => results.speed!.fits.find((fit) => fit.model === model && fit.figure === figure)?.exponent;
    expect(exponent('full attention', 'time')).toBeCloseTo(2, 6);
    expect(exponent('full attention', 'memory')).toBeCloseTo(2, 6);
    expect(exponent('lstm', 'time')).toBeCloseTo(1, 6);
    expect(exponent('lstm', 'memory')).toBeCloseTo(0, 6);
  });

  it('writes results.json, report.html, tables.md and one SVG per chart', () => {
    const results = sampleResults();
    const written = writeReport(results, dir);
    const json = JSON.parse(readFileSync(written.json, 'utf8')) as BenchResults;
    expect(json.status).toBe('interrupted');
    expect(json.speed?.rows).toHaveLength(6);
    const html = readFileSync(written.html, 'utf8');
    expect(html).toContain('This run was interrupted');
    expect(html).toContain('Published results (quoted, not measured here)');
    expect(html).toContain('gpu:headlessgl');
    expect(html).toContain('<svg');
    expect(readdirSync(join(dir, 'charts')).sort()).toEqual(buildCharts(results).map((chart) => `${chart.file}.svg`).sort());
    for (const file of written.charts) {
      const svg = readFileSync(file, 'utf8');
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svg).not.toMatch(/NaN|Infinity/);
    }
    expect(readFileSync(written.markdown, 'utf8')).toContain('| full attention |');
  });

  it('tables show measured figures and the baseline row', () => {
    const tables = allTables(sampleResults());
    const learn = tables.find((table) => table.title.startsWith('Learning'))!;
    expect(learn.rows.at(-1)).toEqual(['baseline', '0', '0.167', '—', '—']);
    expect(learn.rows[0][2]).toBe('0.0300 ✓ conv');
    expect(learn.rows[1][2]).toBe('0.165 conv');
    const time = tables.find((table) => table.title.startsWith('Learning: time to target'))!;
    expect(time.rows[0]).toEqual(['adding', '≤ 0.05', 'lstm', '0.8 s @8']);
    expect(time.rows[1]).toEqual(['adding', '≤ 0.05', 'rnn', 'not reached within 10 steps']);
    expect(tables.at(-1)!.title.startsWith('Measured vs expected')).toBe(true);
    const skipped = tables.find((table) => table.title === 'Speed and memory: backends skipped')!;
    expect(skipped.rows).toEqual([['gpu:headlessgl', 'no X server']]);
  });

  it('checks measured exponents against the literature and reports agreement', () => {
    const checks = findings(sampleResults());
    const full = checks.find((check) => check.measured.startsWith('full attention forward time'));
    expect(full?.agrees).toBe(true);
    const lstm = checks.find((check) => check.measured.startsWith('lstm forward time'));
    expect(lstm?.agrees).toBe(true);
    expect(checks.find((check) => check.expectation.startsWith('An LSTM'))?.agrees).toBe(true);
  });

  it('quotes LRA with its citation and marks it as quoted', () => {
    const lra = publishedResults().find((entry) => entry.id === 'lra')!;
    expect(lra.citation).toContain('Tay');
    expect(lra.rows?.[0]).toEqual(['Transformer', 36.37, 64.27, 57.46, 42.44, 71.4, 'FAIL', 54.39]);
  });
});

describe('svg charts', () => {
  it('picks powers of two or ten on log axes and round steps on linear ones', () => {
    expect(logTicks(128, 1024)).toEqual([128, 256, 512, 1024]);
    expect(logTicks(1, 1e6)).toEqual([1, 10, 100, 1000, 1e4, 1e5, 1e6]);
    expect(linearTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it('draws each series and skips points a log axis cannot show', () => {
    const svg = lineChart({
      title: 'T <&> "x"',
      xLabel: 'n',
      yLabel: 'ms',
      xScale: 'log',
      yScale: 'log',
      series: [
        { name: 'a', points: [[1, 1], [10, 0], [100, 100]] },
        { name: 'b', points: [[1, 2], [100, 3]], dashed: true },
      ],
    });
    expect(svg).toContain('T &lt;&amp;&gt; &quot;x&quot;');
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('stroke-dasharray');
    expect(svg).not.toMatch(/NaN/);
  });
});
