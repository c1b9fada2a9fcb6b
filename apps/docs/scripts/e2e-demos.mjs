// Per-demo checks of the end-to-end test: each live demo on a page must settle ("ready"), show
// numbers or a heatmap, and react to its controls. Every check is recorded as its own test.

/** Waits until the demo leaves its loading states; returns its final state. */
async function settle(demo, timeout = 60_000) {
  const started = Date.now();
  for (;;) {
    const state = await demo.getAttribute('data-state');
    if (state && !['loading', 'running', 'pending-run'].includes(state)) return state;
    if (Date.now() - started > timeout) return `${state} (timed out after ${timeout / 1000} s)`;
    await demo.page().waitForTimeout(100);
  }
}

/** The weights of every head: number[][][] read from the cells' data-weight. */
async function readHeads(demo) {
  return demo.locator('figure').evaluateAll((figures) =>
    figures.map((figure) => [...figure.querySelectorAll('tbody tr')].map((row) => [...row.querySelectorAll('td')].map((cell) => Number(cell.dataset.weight)))),
  );
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

function checkRows(heads, label) {
  assert(heads.length > 0 && heads[0].length > 0, `${label}: no heatmap cells`);
  for (const [head, rows] of heads.entries()) {
    for (const [row, values] of rows.entries()) {
      assert(values.every((value) => Number.isFinite(value) && value >= 0 && value <= 1 + 1e-6), `${label}: head ${head} row ${row} has weights outside [0, 1]: ${values}`);
      const sum = values.reduce((total, value) => total + value, 0);
      assert(Math.abs(sum - 1) < 1e-3 || sum === 0, `${label}: head ${head} row ${row} sums to ${sum}`);
    }
  }
}

async function choose(demo, control, value) {
  await demo.locator(`select[data-control="${control}"]`).selectOption(String(value));
  await demo.page().waitForTimeout(150);
  assert((await settle(demo)) === 'ready', `after choosing ${control} = ${value} the demo is not ready`);
}

async function readGradientRows(demo) {
  return demo.locator('tr[data-model]').evaluateAll((rows) => rows.map((row) => ({ model: row.dataset.model, first: Number(row.dataset.first), last: Number(row.dataset.last) })));
}

const checks = {
  async 'backend-switch'(demo) {
    const rows = await demo.locator('tr[data-backend]').evaluateAll((cells) =>
      cells.map((row) => ({ id: row.dataset.backend, available: row.dataset.available === 'true', ms: Number(row.dataset.ms), difference: Number(row.dataset.difference), text: row.innerText })),
    );
    assert(rows.length >= 3, `only ${rows.length} backends listed`);
    const reference = rows.find((row) => row.id === 'cpu-js');
    assert(reference?.available && reference.ms > 0, `the JavaScript CPU backend did not run: ${reference?.text}`);
    for (const row of rows) {
      if (row.available) {
        assert(Number.isFinite(row.ms) && row.ms > 0, `${row.id}: no timing`);
        assert(Number.isFinite(row.difference) && row.difference < 1e-3, `${row.id}: differs from the CPU by ${row.difference}`);
      } else {
        assert(/:\s*\S/.test(row.text.split('\t').at(-1) ?? row.text), `${row.id}: unavailable without a reason: ${row.text}`);
      }
    }
    const summary = rows.map((row) => `${row.id} ${row.available ? `${row.ms.toFixed(1)} ms` : 'unavailable'}`).join(', ');
    return summary;
  },
  async 'bench-report'(demo) {
    const charts = Number(await demo.getAttribute('data-charts'));
    const svgs = await demo.locator('.chart svg').count();
    assert(svgs === charts, `${charts} charts announced, ${svgs} drawn`);
    const cells = await demo.locator('.tables td').count();
    assert(charts > 0 || cells > 0, 'the report has neither charts nor tables');
    return `${charts} charts and ${cells} table cells from apps/bench/results`;
  },
  async 'alignment-matrix'(demo) {
    const heads = await readHeads(demo);
    assert(heads.length === 1, 'no alignment matrix');
    checkRows(heads, 'alignment');
    const summary = await demo.locator('[data-summary]').innerText();
    const accuracy = Number(/(\d+(?:\.\d+)?)%/.exec(summary)?.[1]);
    assert(accuracy > 60, `after training the accuracy is ${accuracy}% (chance is 12.5%): ${summary}`);
    return `trained in the page: ${summary}`;
  },
  async 'gradient-flow'(demo) {
    const check = async (label) => {
      const rows = await readGradientRows(demo);
      assert(rows.length === 4, `${label}: ${rows.length} models in the table`);
      for (const row of rows) assert(Number.isFinite(row.first) && Number.isFinite(row.last) && row.last > 0, `${label}: ${row.model} has no gradient norms`);
      const attention = rows.find((row) => row.model === 'attention');
      for (const row of rows.filter((r) => r.model !== 'attention')) {
        assert(row.first / row.last < 1e-2, `${label}: the ${row.model} gradient did not vanish (${row.first} at t=0 vs ${row.last} at the end)`);
        assert(attention.first > row.first * 100, `${label}: attention's first-position gradient ${attention.first} is not far above ${row.model}'s ${row.first}`);
      }
      assert((await demo.locator('svg.line-chart path').count()) === 4, `${label}: the chart has no four lines`);
    };
    await check('T=48');
    await choose(demo, 'length', 96);
    await check('T=96');
    return 'RNN, LSTM and GRU gradients vanish over 48 and 96 steps, attention\'s do not';
  },

  async 'tiny-language-model'(demo) {
    const first = Number(await demo.getAttribute('data-first-loss'));
    const last = Number(await demo.getAttribute('data-last-loss'));
    assert(Number.isFinite(first) && Number.isFinite(last) && last < 0.6 * first, `the loss did not fall well below its start: ${first} → ${last}`);
    assert((await demo.locator('svg.line-chart path').count()) === 1, 'no loss curve');
    const difference = Number(await demo.getAttribute('data-cache-difference'));
    assert(difference < 1e-4, `cached sampling differs from the full re-computation by ${difference}`);
    const sample = await demo.locator('[data-sample]').innerText();
    assert(sample.trim().length > 40, `the sample is too short: ${JSON.stringify(sample)}`);
    await demo.locator('button[data-control="sample"]').click();
    await demo.page().waitForTimeout(300);
    const again = await demo.locator('[data-sample]').innerText();
    assert(again.trim().length > 40 && again !== sample, 'sampling again gave no new text');
    const summary = await demo.locator('[data-summary]').innerText();
    return `trained in the page: ${summary}; cache vs full max |Δ| ${difference.toExponential(1)}`;
  },

  async 'attention-heatmap'(demo) {
    checkRows(await readHeads(demo), 'default');
    for (const score of ['dot', 'cosine', 'general', 'additive', 'scaledDot']) {
      await choose(demo, 'score', score);
      checkRows(await readHeads(demo), `score ${score}`);
    }
    await choose(demo, 'heads', 4);
    const four = await readHeads(demo);
    assert(four.length === 4, `4 heads drew ${four.length} heatmaps`);
    checkRows(four, '4 heads');
    await choose(demo, 'mask', 'causal');
    const causal = await readHeads(demo);
    checkRows(causal, 'causal mask');
    for (const rows of causal) for (const [row, values] of rows.entries()) assert(values.slice(row + 1).every((value) => value === 0), `causal mask: row ${row} attends to the future: ${values}`);
    await choose(demo, 'weighting', 'hard');
    const hard = await readHeads(demo);
    checkRows(hard, 'hard weighting');
    for (const rows of hard) for (const values of rows) assert(values.filter((value) => value === 1).length === 1, `hard weighting: a row is not one-hot: ${values}`);
    await choose(demo, 'heads', 1);
    await choose(demo, 'mask', 'none');
    await choose(demo, 'weighting', 'soft');
    return `${four[0].length}×${four[0][0].length} weights per head, 5 scores, 4 heads, causal mask and hard weighting checked`;
  },
};

/**
 * Runs the checks of every demo on the page; records one test per demo and returns the count.
 */
export async function checkDemos(page, record, path) {
  const demos = page.locator('[data-demo]');
  const count = await demos.count();
  for (let index = 0; index < count; index++) {
    const demo = demos.nth(index);
    const kind = await demo.getAttribute('data-demo');
    const name = `demo ${kind} on ${path}`;
    try {
      await demo.scrollIntoViewIfNeeded();
      const state = await settle(demo);
      if (kind === 'bench-report' && state === 'absent') {
        const text = await demo.innerText();
        if (!text.includes('npm run bench')) throw new Error(`no report and no note how to produce one: ${text.slice(0, 300)}`);
        record(`${name}: no bench report in this build; the page explains how to produce one`, null);
        continue;
      }
      if (state !== 'ready') {
        const text = (await demo.innerText()).slice(0, 500);
        throw new Error(`state is "${state}": ${text}`);
      }
      const check = checks[kind];
      if (!check) throw new Error(`no end-to-end check for the demo "${kind}"`);
      const summary = await check(demo);
      record(`${name}: ${summary}`, null);
    } catch (error) {
      record(name, error instanceof Error ? error.message : String(error));
    }
  }
  return count;
}
