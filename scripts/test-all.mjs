#!/usr/bin/env node
// The README's test command (`npm test`) lands here after installing the workspace. Each step
// runs even when an earlier one failed, so one run shows every problem; the exit code is
// non-zero when any step failed. The last line totals the test cases that ran.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = join(root, '.tmp');
mkdirSync(tmp, { recursive: true });

/** name, command, and how to read passed/failed/skipped counts from its output (optional). */
const steps = [
  { name: 'typecheck', command: 'pnpm run typecheck' },
  { name: 'lint', command: 'pnpm run lint' },
  {
    name: 'unit tests (vitest)',
    command: `pnpm exec vitest run --reporter=default --reporter=json --outputFile=${join(tmp, 'vitest.json')}`,
    counts: () => {
      const file = join(tmp, 'vitest.json');
      if (!existsSync(file)) return null;
      const report = JSON.parse(readFileSync(file, 'utf8'));
      return { passed: report.numPassedTests, failed: report.numFailedTests, skipped: report.numPendingTests + report.numTodoTests };
    },
  },
  {
    name: 'PyTorch reference cases',
    command: 'pnpm run test:reference',
    counts: (output) => {
      const match = /^(\d+) passed, (\d+) failed, (\d+) skipped$/m.exec(output);
      return match ? { passed: +match[1], failed: +match[2], skipped: +match[3] } : null;
    },
  },
  ...extraSteps(),
];

function extraSteps() {
  const extra = [];
  if (existsSync(join(root, 'scripts/test-build.mjs'))) extra.push({ name: 'build, publint and attw', command: 'node scripts/test-build.mjs', counts: plainCounts });
  if (existsSync(join(root, 'packages/gpu/scripts/test-gpu.mjs'))) extra.push({ name: 'gpu backend modes', command: 'node packages/gpu/scripts/test-gpu.mjs', counts: plainCounts });
  if (existsSync(join(root, 'apps/docs/package.json'))) extra.push({ name: 'docs build and end-to-end', command: 'pnpm --filter @heed/docs run test:e2e', counts: plainCounts });
  // After the docs step, which installs Debian's chromium when it is missing.
  if (existsSync(join(root, 'packages/tensor/scripts/browser-check.ts'))) extra.push({ name: 'CPU backend in a browser (workers, SIMD)', command: 'pnpm --filter @heed/tensor run test:browser', counts: plainCounts });
  if (existsSync(join(root, 'scripts/test-install.mjs'))) extra.push({ name: 'install from a local registry', command: 'node scripts/test-install.mjs', counts: plainCounts });
  return extra;
}

function plainCounts(output) {
  const matches = [...output.matchAll(/^(?:\w+: )?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/gm)];
  const last = matches.at(-1);
  return last ? { passed: +last[1], failed: +last[2], skipped: +(last[3] ?? 0) } : null;
}

/**
 * The lines of a failed step's output that name what failed (a test marked ✗ or ×, vitest's
 * FAIL lines, TypeScript and ESLint errors), repeated in the summary so that the end of the log
 * alone says what broke. At most 12, each cut to 240 characters.
 */
function failureLines(output) {
  const pattern = /^\s*(?:✗|×|FAIL\s|.*\berror TS\d+|\d+:\d+\s+error\s)/;
  const all = output.split('\n');
  // A ✗ line of our own runners is followed by its indented reason: keep the reason's first line.
  const lines = all.flatMap((line, index) => {
    if (!pattern.test(line)) return [];
    const reason = line.trim().startsWith('✗') && /^\s{2,}\S/.test(all[index + 1] ?? '') ? ` — ${all[index + 1].trim()}` : '';
    return [`${line.trim()}${reason}`.slice(0, 240)];
  });
  const unique = [...new Set(lines)];
  return unique.length > 12 ? [...unique.slice(0, 12), `… and ${unique.length - 12} more (see above)`] : unique;
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const summary = [];
for (const step of steps) {
  const started = Date.now();
  console.log(`\n━━ ${step.name}: ${step.command}`);
  const result = spawnSync(step.command, { cwd: root, shell: true, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  process.stdout.write(result.stdout ?? '');
  process.stderr.write(result.stderr ?? '');
  const ok = result.status === 0;
  const counts = step.counts?.(`${result.stdout}\n${result.stderr}`) ?? null;
  if (counts) for (const key of Object.keys(totals)) totals[key] += counts[key] ?? 0;
  if (!ok && (!counts || counts.failed === 0)) totals.failed += 1;
  summary.push(`${ok ? 'ok  ' : 'FAIL'} ${step.name} (${((Date.now() - started) / 1000).toFixed(1)} s)${counts ? `: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped` : ''}`);
  if (!ok) summary.push(...failureLines(`${result.stdout}\n${result.stderr}`).map((line) => `       ${line}`));
}
console.log('\n━━ summary');
for (const line of summary) console.log(line);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(summary.some((line) => line.startsWith('FAIL')) ? 1 : 0);
