import { describe, expect, it } from 'vitest';
import { Progress, renderBar } from '../src/cli/progress.js';
import { formatBytes, formatDuration, formatNumber, formatTable } from '../src/cli/table.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns: 80, write: (text: string) => chunks.push(text) > 0 } };
}

describe('progress', () => {
  it('prints plain lines when stderr is not a terminal', () => {
    const { chunks, stream } = sink(false);
    const progress = new Progress(stream, { clock: () => 0, plainIntervalMs: 0 });
    const task = progress.start('speed', 2);
    task.tick('lstm T=128');
    task.tick('lstm T=256');
    task.done();
    expect(chunks.join('')).toBe('speed 1/2 lstm T=128\nspeed 2/2 lstm T=256\nspeed 2/2 done in 0s\n');
    expect(chunks.join('')).not.toContain('\r');
  });

  it('prints at most one plain line per interval', () => {
    const { chunks, stream } = sink(false);
    let now = 0;
    const progress = new Progress(stream, { clock: () => now, plainIntervalMs: 1000 });
    const task = progress.start('learn', 10);
    for (let step = 0; step < 10; step++) {
      now = step * 300;
      task.tick(`step ${step}`);
    }
    // Printed at 0, 1200, 2400 ms (steps 0, 4, 8).
    expect(chunks).toEqual(['learn 1/10 step 0\n', 'learn 5/10 step 4\n', 'learn 9/10 step 8\n']);
  });

  it('redraws one bar in place on a terminal', () => {
    const { chunks, stream } = sink(true);
    let now = 0;
    const progress = new Progress(stream, { clock: () => now });
    const task = progress.start('learn', 4);
    now = 2000;
    task.tick('adding');
    expect(chunks.at(-1)).toBe(`\rlearn [${'#'.repeat(6)}${'.'.repeat(18)}] 1/4 2s eta 6s  adding\u001b[K`);
    progress.log('a message');
    expect(chunks.slice(-2)).toEqual(['\r\x1b[K', 'a message\n']);
    task.done('ok');
    expect(chunks.at(-1)).toBe('learn 1/4 done in 2s: ok\n');
  });

  it('draws bars for fractions, clamped to [0, 1]', () => {
    expect(renderBar(0.5, 4)).toBe('[##..]');
    expect(renderBar(2, 4)).toBe('[####]');
    expect(renderBar(-1, 4)).toBe('[....]');
  });
});

describe('tables', () => {
  it('renders aligned Markdown with right-aligned number columns and notes', () => {
    const text = formatTable({
      title: 'Speed',
      columns: [{ header: 'model' }, { header: 'ms', align: 'right' }],
      rows: [
        ['lstm', '1.5'],
        ['full attention', '12.25'],
      ],
      notes: ['median of 5'],
    });
    expect(text.split('\n')).toEqual([
      '### Speed',
      '',
      '| model          |    ms |',
      '|----------------|------:|',
      '| lstm           |   1.5 |',
      '| full attention | 12.25 |',
      '',
      '- median of 5',
    ]);
  });

  it('formats numbers, durations and bytes', () => {
    expect(formatNumber(12.345)).toBe('12.3');
    expect(formatNumber(0.012345)).toBe('0.0123');
    expect(formatNumber(null)).toBe('—');
    expect(formatDuration(0.5)).toBe('500 µs');
    expect(formatDuration(1234)).toBe('1.23 s');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.00 MiB');
    expect(formatBytes(512)).toBe('512 B');
  });
});
