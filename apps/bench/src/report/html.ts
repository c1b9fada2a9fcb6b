/**
 * The HTML report: one self-contained file (inline CSS and SVG, no scripts, no network), so it
 * can be opened from disk, attached to an issue, or copied into the docs.
 */
import type { Table } from '../cli/table.js';
import { describeMachine } from '../harness/machine.js';
import type { BenchResults } from '../results.js';
import type { Chart } from './charts.js';
import type { Finding } from './findings.js';
import type { PublishedResult } from './published.js';
import { escapeXml } from './svg-chart.js';

function tableHtml(table: Table): string {
  const head = table.columns.map((column) => `<th${column.align === 'right' ? ' class="num"' : ''}>${escapeXml(column.header)}</th>`).join('');
  const body = table.rows
    .map((row) => `<tr>${table.columns.map((column, index) => `<td${column.align === 'right' ? ' class="num"' : ''}>${escapeXml(row[index] ?? '')}</td>`).join('')}</tr>`)
    .join('\n');
  const notes = table.notes?.length ? `<ul class="notes">${table.notes.map((note) => `<li>${escapeXml(note)}</li>`).join('')}</ul>` : '';
  return `<figure class="table"><figcaption>${escapeXml(table.title)}</figcaption><div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>${notes}</figure>`;
}

function chartHtml(chart: Chart): string {
  return `<figure class="chart">${chart.svg}<figcaption>${escapeXml(chart.caption)} <a href="charts/${chart.file}.svg">SVG</a></figcaption></figure>`;
}

function findingsHtml(list: Finding[]): string {
  if (list.length === 0) return '';
  const rows = list
    .map(
      (finding) =>
        `<tr class="${finding.verdict === 'contradicts' ? 'disagree' : ''}"><td>${escapeXml(finding.topic)}</td><td>${escapeXml(finding.expectation)}${
          finding.citation ? `<br><span class="cite">${escapeXml(finding.citation)}</span>` : ''
        }</td><td>${escapeXml(finding.measured)}</td><td>${finding.verdict}</td><td>${escapeXml(finding.comment ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<section><h2>Measured vs expected</h2><p>Each row checks one claim from the literature against this run. Where they disagree, the report says so; nothing is adjusted.</p><div class="scroll"><table><thead><tr><th>topic</th><th>expectation</th><th>measured here</th><th>verdict</th><th>comment</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

function publishedHtml(list: PublishedResult[]): string {
  const items = list.map((entry) => {
    const cite = `<p class="cite">${escapeXml(entry.citation)}. <a href="${escapeXml(entry.url)}">${escapeXml(entry.url)}</a></p>`;
    const body =
      entry.kind === 'table' && entry.columns && entry.rows
        ? `<div class="scroll"><table><thead><tr>${entry.columns.map((column) => `<th>${escapeXml(column)}</th>`).join('')}</tr></thead><tbody>${entry.rows
            .map((row) => `<tr>${row.map((cell) => `<td${typeof cell === 'number' ? ' class="num"' : ''}>${escapeXml(String(cell))}</td>`).join('')}</tr>`)
            .join('')}</tbody></table></div>`
        : `<p>${escapeXml(entry.text ?? '')}</p>`;
    return `<article class="quoted"><h3>${escapeXml(entry.title)}</h3>${body}${cite}<p class="relevance">${escapeXml(entry.relevance)}</p></article>`;
  });
  return `<section id="published"><h2>Published results (quoted, not measured here)</h2><p class="quoted-banner">Everything in this section is copied from the cited papers for comparison. None of it was measured by this run, and the setups (model sizes, training budgets, hardware) differ from ours.</p>${items.join('\n')}</section>`;
}

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1100px;padding:24px;color:#1a1a1a}
h1{margin-bottom:4px}h2{margin-top:40px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555}.status{display:inline-block;padding:2px 8px;border-radius:4px;background:#e8f4ea}
.status.interrupted,.status.failed,.status.running{background:#fdecea}
table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f6f6}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}figure{margin:16px 0}figcaption{font-weight:600;margin-bottom:4px}
.chart figcaption{font-weight:400;color:#444;font-size:13px}.chart svg{max-width:100%;height:auto}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:12px}
ul.notes{margin:4px 0 0;padding-left:20px;color:#555;font-size:13px}
.quoted{border-left:4px solid #E69F00;padding:4px 12px;margin:16px 0;background:#fffaf0}
.quoted-banner{background:#fff3d6;padding:8px 12px;border-radius:4px}
.cite{font-size:13px;color:#444}.relevance{font-size:13px;color:#555;font-style:italic}
tr.disagree td{background:#fdecea}
code{background:#f3f3f3;padding:1px 4px;border-radius:3px}
`;

/** Renders the report. `tables` and `charts` are built from `results` by the caller. */
export function renderHtml(results: BenchResults, tables: Table[], charts: Chart[], checks: Finding[], published: PublishedResult[]): string {
  const section = (id: string, title: string, intro: string, prefix: string, kind: Chart['section'] | null): string => {
    const mine = tables.filter((table) => table.title.startsWith(prefix));
    const figures = kind ? charts.filter((chart) => chart.section === kind) : [];
    if (mine.length === 0 && figures.length === 0) return '';
    return `<section id="${id}"><h2>${escapeXml(title)}</h2><p>${intro}</p>${mine.map(tableHtml).join('\n')}<div class="charts">${figures.map(chartHtml).join('\n')}</div></section>`;
  };
  const errors = results.errors.length
    ? `<section><h2>Errors</h2><ul>${results.errors.map((error) => `<li><b>${escapeXml(error.suite)}</b>: ${escapeXml(error.message)}</li>`).join('')}</ul></section>`
    : '';
  const versions = Object.entries(results.versions)
    .map(([name, version]) => `<code>${escapeXml(name)}</code> ${escapeXml(version ?? 'not installed')}`)
    .join(' · ');
  const notes = results.notes.length ? `<ul class="notes">${results.notes.map((note) => `<li>${escapeXml(note)}</li>`).join('')}</ul>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>heed bench: RNN vs attention on long sequences</title><style>${STYLE}</style></head>
<body>
<h1>heed bench: RNN vs attention on long sequences</h1>
<p class="meta"><span class="status ${results.status}">${escapeXml(results.status)}</span>
 ${escapeXml(results.options.preset)} run of ${escapeXml(results.completedSuites.join(', ') || 'no suite')} · started ${escapeXml(results.startedAt)}${
   results.durationSeconds !== null ? ` · ${results.durationSeconds.toFixed(0)} s` : ''
 } · seed ${results.options.seed}</p>
<p class="meta">${escapeXml(describeMachine(results.machine))}${results.machine.gitCommit ? ` · commit <code>${escapeXml(results.machine.gitCommit.slice(0, 10))}</code>${results.machine.gitDirty ? ' (modified)' : ''}` : ''}</p>
<p class="meta">Command: <code>${escapeXml(results.command)}</code></p>
<p class="meta">${versions}</p>${notes}
${results.status === 'interrupted' ? '<p class="quoted-banner">This run was interrupted: the report holds what was measured before it stopped.</p>' : ''}
${findingsHtml(checks)}
${section('speed', 'Speed and memory', 'Each model is one layer at width 64 on one sequence (batch 1). Times are medians of repeated calls; memory is the peak resident set size above the level before the call.', 'Speed and memory', 'speed')}
${section('learn', 'What they learn', 'Every model trains from scratch on each task and length with the same step budget, optimiser and seed, at comparable parameter counts; scores are on held-out sequences next to the trivial baseline computed on the same sequences.', 'Learning', 'learn')}
${section('gradients', 'Gradient flow', 'The norm of the gradient of the loss at the last step with respect to each input position, by distance from the end: vanishing gradients in recurrences versus attention\'s direct paths.', 'Gradient flow', 'gradients')}
${section('peers', 'Peers', 'The same attention forward, LSTM forward, matmul and training steps in the libraries a JavaScript developer would otherwise use, measured in this run on the same inputs.', 'Peers', 'peers')}
${section('targets', 'CPU targets', 'Issue 8\'s targets, as ratios measured in this run.', 'Issue 8 targets', null)}
${errors}
${publishedHtml(published)}
<footer class="meta"><p>Generated by <code>@heed/bench</code>. The raw figures are in <code>results.json</code> beside this file.</p></footer>
</body></html>
`;
}
