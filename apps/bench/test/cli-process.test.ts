import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchResults } from '../src/results.js';

const appRoot = join(import.meta.dirname, '..');
const nodeArgs = ['--expose-gc', '--conditions=@heed/source', '--import', 'tsx', 'src/main.ts'];

/** Runs the app; `onStderr` may interrupt it. Resolves with its exit code and output. */
function runApp(args: string[], onStderr?: (text: string, kill: () => void) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: appRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      onStderr?.(stderr, () => child.kill('SIGINT'));
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the bench command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heed-bench-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the usage and exits 2 on a bad flag, 0 on --help', async () => {
    const bad = await runApp(['--sweet']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown flag --sweet');
    expect(bad.stderr).toContain('Usage:');
    const help = await runApp(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--suite LIST');
  }, 30_000);

  it('keeps what was measured when interrupted with Ctrl-C', async () => {
    let sent = false;
    const run = await runApp(['--suite', 'speed', '--backend', 'cpu', '--out', dir], (text, kill) => {
      // Interrupt once the first measurement has been reported.
      if (!sent && /speed cpu \d+\/\d+ rnn/.test(text)) {
        sent = true;
        kill();
      }
    });
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('Interrupted: kept what was measured so far.');
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as BenchResults;
    expect(results.status).toBe('interrupted');
    expect(results.speed?.rows.filter((row) => row.medianMs !== null).length).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('This run was interrupted');
  }, 60_000);
});
