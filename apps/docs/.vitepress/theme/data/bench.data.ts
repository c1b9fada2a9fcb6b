/**
 * Build-time loader of the bench app's latest report (`apps/bench/results/`, written by
 * `npm run bench`): the run's metadata, its tables (Markdown rendered to HTML) and its SVG
 * charts. When there is no report, `available` is false and the page says how to produce one.
 * Nothing here is invented: every number shown comes from those files.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMarkdownRenderer, defineLoader } from 'vitepress';

export interface BenchChart {
  readonly name: string;
  readonly svg: string;
}

export interface BenchData {
  readonly available: boolean;
  /** Why there is no report (when `available` is false). */
  readonly reason?: string;
  readonly status?: string;
  readonly startedAt?: string;
  readonly durationSeconds?: number | null;
  readonly command?: string;
  readonly preset?: string;
  readonly machine?: Record<string, unknown>;
  readonly versions?: Record<string, string | null>;
  readonly completedSuites?: string[];
  readonly errors?: { suite: string; message: string }[];
  readonly notes?: string[];
  /** `tables.md` rendered to HTML. */
  readonly tablesHtml?: string;
  readonly charts?: BenchChart[];
}

declare const data: BenchData;
export { data };

/** `apps/bench/results/`, or the directory in `HEED_BENCH_RESULTS` (a run made with `--out DIR`). */
const resultsDirectory = process.env.HEED_BENCH_RESULTS ?? fileURLToPath(new URL('../../../../bench/results/', import.meta.url));
const shownDirectory = process.env.HEED_BENCH_RESULTS ?? 'apps/bench/results';

/** Keeps an SVG's markup only (no XML prolog, no scripts) so it can be inlined in the page. */
function inlineSvg(text: string): string {
  const start = text.indexOf('<svg');
  return start < 0 ? '' : text.slice(start).replace(/<script[\s\S]*?<\/script>/gi, '');
}

export default defineLoader({
  watch: ['../../../../bench/results/results.json', '../../../../bench/results/tables.md', '../../../../bench/results/charts/*.svg'],
  async load(): Promise<BenchData> {
    const resultsFile = join(resultsDirectory, 'results.json');
    if (!existsSync(resultsFile)) return { available: false, reason: `${shownDirectory}/results.json does not exist yet` };
    let results: Record<string, unknown>;
    try {
      results = JSON.parse(readFileSync(resultsFile, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      return { available: false, reason: `${shownDirectory}/results.json is not valid JSON (${error instanceof Error ? error.message : String(error)})` };
    }
    const tablesFile = join(resultsDirectory, 'tables.md');
    const markdown = await createMarkdownRenderer(fileURLToPath(new URL('../../../', import.meta.url)));
    const tablesHtml = existsSync(tablesFile) ? markdown.render(readFileSync(tablesFile, 'utf8')) : '';
    const chartsDirectory = join(resultsDirectory, 'charts');
    const charts = existsSync(chartsDirectory)
      ? readdirSync(chartsDirectory)
          .filter((name) => name.endsWith('.svg') && statSync(join(chartsDirectory, name)).isFile())
          .sort()
          .map((name) => ({ name: name.replace(/\.svg$/, ''), svg: inlineSvg(readFileSync(join(chartsDirectory, name), 'utf8')) }))
          .filter((chart) => chart.svg.length > 0)
      : [];
    const options = (results.options ?? {}) as { preset?: string };
    return {
      available: true,
      status: typeof results.status === 'string' ? results.status : 'unknown',
      startedAt: typeof results.startedAt === 'string' ? results.startedAt : undefined,
      durationSeconds: typeof results.durationSeconds === 'number' ? results.durationSeconds : null,
      command: typeof results.command === 'string' ? results.command : undefined,
      preset: options.preset,
      machine: (results.machine ?? {}) as Record<string, unknown>,
      versions: (results.versions ?? {}) as Record<string, string | null>,
      completedSuites: Array.isArray(results.completedSuites) ? (results.completedSuites as string[]) : [],
      errors: Array.isArray(results.errors) ? (results.errors as { suite: string; message: string }[]) : [],
      notes: Array.isArray(results.notes) ? (results.notes as string[]) : [],
      tablesHtml,
      charts,
    };
  },
});
