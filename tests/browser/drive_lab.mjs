// Drives one notebook in JupyterLab the way a student does, in Debian's headless Chromium.
//
//   node drive_lab.mjs '<json options>'
//
// Options (JSON): base (server URL, no trailing slash), token, notebook (path under the server root),
// workspace (a fresh JupyterLab workspace name), shots (folder for screenshots), name (screenshot prefix),
// kernel (display name the notebook must start with), slider (regex source for the slider's label),
// codeCells (how many code cells have source, from the .ipynb), runTimeoutMs (Run All -> idle),
// widgetTimeoutMs, changeTimeoutMs, chromium (executable path).
//
// Steps: open the notebook, check its kernel, Run > Run All Cells, wait until no cell is queued/running and
// the kernel is idle, fail on any error/stderr output or on a code cell that did not run, find the slider whose
// label matches `slider` and the images in the same output, screenshot (before), press ArrowRight on the slider
// handle, wait until one of those images changes (its bytes, fetched from its src), screenshot (after).
//
// Prints one JSON line on stdout: {ok, stage, message, timings, screenshots, details}. Exit 0: all checks
// passed; 1: a check failed (stage and message say which); 2: the driver could not run (bad options, no browser).
// The browser and its fresh profile folder are removed in `finally`, whatever happened.

import { CheckFailed, parseOptions, poller, runChecks, startRun } from './harness.mjs';

const opts = parseOptions({
  workspace: `test-${Date.now()}`, kernel: 'Python 3 (augment course)', slider: 'seed',
  runTimeoutMs: 240000, widgetTimeoutMs: 30000, changeTimeoutMs: 60000,
});
const run = startRun('drive_lab', opts);
const { details, mark, log, shot } = run;
let stage = 'launch';

// All queries are scoped to the visible notebook panel (the one we opened).
const PANEL = '.jp-NotebookPanel:not(.lm-mod-hidden)';

async function notebookState(page) {
  return page.evaluate((panelSel) => {
    const panel = document.querySelector(panelSel);
    if (!panel) return null;
    const cells = [...panel.querySelectorAll('.jp-Notebook .jp-CodeCell')].map((cell, index) => {
      const prompt = (cell.querySelector('.jp-InputArea-prompt')?.textContent ?? '').trim();
      // textContent, not innerText: cells scrolled out of view (content-visibility) have no rendered text.
      const source = (cell.querySelector('.jp-InputArea-editor .cm-content')?.textContent ?? '').trim();
      const errors = [...cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
        .map((e) => e.textContent.slice(0, 1500));
      const outputText = [...cell.querySelectorAll('.jp-OutputArea-output')].map((e) => e.textContent).join('\n');
      if (/Error displaying widget|Error rendering output/i.test(outputText)) errors.push(outputText.slice(0, 1500));
      return { index: index + 1, prompt, empty: source === '', errors };
    });
    return {
      status: panel.querySelector('.jp-Notebook-ExecutionIndicator')?.getAttribute('data-status') ?? null,
      kernel: (panel.querySelector('.jp-Toolbar-kernelName')?.textContent ?? '').trim(),
      cells,
    };
  }, PANEL);
}

const settled = (s) => s && s.status === 'idle' && !s.cells.some((c) => c.prompt.includes('*'));

function errorsOf(state) {
  return state.cells.filter((c) => c.errors.length)
    .map((c) => `code cell ${c.index} ${c.prompt} shows an error/stderr output:\n${c.errors.join('\n---\n')}`);
}

const waitFor = poller(() => stage, 500);

// Bytes of every <img> in the explorer's output, fingerprinted in the page (works for blob: and data: URLs).
async function imageFingerprints(page, output) {
  return output.evaluate(async (root) => {
    const digest = async (img) => {
      try {
        const bytes = await (await fetch(img.src)).arrayBuffer();
        const hash = await crypto.subtle.digest('SHA-256', bytes);
        return [...new Uint8Array(hash)].slice(0, 12).map((b) => b.toString(16).padStart(2, '0')).join('');
      } catch (err) { return `unreadable: ${err}`; }
    };
    const imgs = [...root.querySelectorAll('img')];
    return Promise.all(imgs.map(async (img) => ({
      src: img.src.slice(0, 80), shown: img.complete && img.naturalWidth > 0, hash: await digest(img),
    })));
  });
}

// Scroll the cell holding `target` to the top of the notebook and wait until it stays there: after Run All
// the notebook keeps re-laying out the cells above it for a moment (content-visibility), which moves the view.
async function bringIntoView(page, target) {
  let last = null;
  for (let i = 0; i < 20; i++) {
    await target.evaluate((el) => (el.closest('.jp-Cell') ?? el).scrollIntoView({ block: 'start' }));
    await page.waitForTimeout(250);
    const box = await target.boundingBox();
    const y = box ? Math.round(box.y) : null;
    if (y !== null && y === last && y >= 0 && y < page.viewportSize().height / 2) return;
    last = y;
  }
  log('warning: the cell did not settle in view; the screenshot may not show it');
}

let page;
await runChecks(opts, run, { width: 1280, height: 1000 }, () => stage, async (browser) => {
  page = browser.page;

  stage = 'open';
  const url = `${opts.base}/lab/workspaces/${opts.workspace}/tree/${opts.notebook}?reset&token=${opts.token}`;
  log(`opening ${url.replace(opts.token, '<token>')}`);
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60000 });
  await page.waitForSelector(`${PANEL} .jp-Notebook .jp-Cell`, { timeout: 60000 });
  const opened = await waitFor(page, 'the notebook\'s kernel to start', 60000, async () => {
    const s = await notebookState(page);
    return { done: settled(s) && s.kernel && !/starting|no kernel/i.test(s.kernel), why: JSON.stringify(s && { status: s.status, kernel: s.kernel }), s };
  });
  if (opts.kernel && opened.s.kernel !== opts.kernel) {
    throw new CheckFailed(stage, `the notebook opened with kernel '${opened.s.kernel}', expected '${opts.kernel}'`);
  }
  details.kernel = opened.s.kernel;
  details.code_cells = opened.s.cells.length;
  mark('notebook_open');

  stage = 'run-all';
  log('Run > Run All Cells');
  await page.locator('#jp-MainMenu .lm-MenuBar-itemLabel', { hasText: /^Run$/ }).click();
  await page.locator('.lm-Menu-itemLabel', { hasText: /^Run All Cells$/ }).click();
  // Settled twice in a row, half a second apart: the kernel may look idle between two queued cells.
  let calm = 0;
  const ran = await waitFor(page, 'Run All Cells to finish (kernel idle, no [*] cell)', opts.runTimeoutMs, async () => {
    const s = await notebookState(page);
    calm = settled(s) ? calm + 1 : 0;
    const busy = s ? s.cells.filter((c) => c.prompt.includes('*')).map((c) => c.index) : [];
    return { done: calm >= 2, why: s && `kernel ${s.status}, cells still queued/running: ${busy.join(', ') || 'none'}`, s };
  });
  mark('run_all_done');
  const errors = errorsOf(ran.s);
  if (errors.length) throw new CheckFailed(stage, errors.join('\n\n'));
  // Every code cell with source must have run (an empty cell never gets a number). The count of such cells
  // comes from the .ipynb file (opts.codeCells), when given: the page may not have built every editor yet.
  const numbered = ran.s.cells.filter((c) => /\[\d+\]/.test(c.prompt));
  const expected = opts.codeCells ?? ran.s.cells.filter((c) => !c.empty).length;
  if (numbered.length < expected) {
    const notRun = ran.s.cells.filter((c) => !c.empty && !/\[\d+\]/.test(c.prompt));
    throw new CheckFailed(stage, `only ${numbered.length} of ${expected} code cells ran; not run: ` +
      notRun.map((c) => `cell ${c.index} ${c.prompt}`).join(', '));
  }
  details.executed_cells = numbered.length;
  log(`all ${details.executed_cells} code cells ran, no error output`);

  stage = 'widget';
  const label = new RegExp(opts.slider, 'i');
  const labelled = page.locator('.widget-slider').filter({ has: page.locator('.widget-label', { hasText: label }) });
  // The explorer: the top-level cell output that holds the slider (its images may sit in nested Output widgets).
  const output = page.locator(`${PANEL} .jp-Cell-outputArea > .jp-OutputArea-child`)
    .filter({ has: labelled }).first();
  const slider = output.locator(labelled).first();
  try {
    await slider.waitFor({ state: 'visible', timeout: opts.widgetTimeoutMs });
  } catch {
    const labels = await page.locator(`${PANEL} .widget-slider .widget-label`).allInnerTexts();
    throw new CheckFailed(stage, `no slider labelled /${opts.slider}/i rendered within ` +
      `${opts.widgetTimeoutMs / 1000}s (sliders found: ${JSON.stringify(labels)})`);
  }
  const handle = slider.locator('.noUi-handle').first();
  await bringIntoView(page, output);
  await waitFor(page, 'the explorer\'s image(s) to be shown', opts.widgetTimeoutMs, async () => {
    const prints = await imageFingerprints(page, output);
    return { done: prints.length > 0 && prints.every((p) => p.shown),
      why: `${prints.length} <img> in the explorer, shown: ${prints.filter((p) => p.shown).length}` };
  });
  const before = await imageFingerprints(page, output);
  const valueBefore = await handle.getAttribute('aria-valuenow');
  details.slider_label = (await slider.locator('.widget-label').innerText()).trim();
  details.images = before.length;
  log(`explorer: slider '${details.slider_label}' = ${valueBefore}, ${before.length} image(s)`);
  mark('widget_rendered');
  await bringIntoView(page, output); // again: the picture may have changed the layout
  await shot(page, '1-before');

  stage = 'slider';
  const max = await handle.getAttribute('aria-valuemax');
  const key = Number(valueBefore) >= Number(max) ? 'ArrowLeft' : 'ArrowRight';
  await handle.focus();
  await page.keyboard.press(key);
  await waitFor(page, 'the slider to move', 10000, async () => {
    const now = await handle.getAttribute('aria-valuenow');
    return { done: now !== valueBefore, why: `still ${now}` };
  });
  details.slider_before = valueBefore;
  details.slider_after = await handle.getAttribute('aria-valuenow');
  log(`pressed ${key}: slider ${valueBefore} -> ${details.slider_after}`);
  let after;
  await waitFor(page, 'the explorer\'s image to change after the slider moved', opts.changeTimeoutMs, async () => {
    after = await imageFingerprints(page, output);
    const changed = after.some((p, i) => p.shown && (!before[i] || p.hash !== before[i].hash));
    return { done: changed, why: 'every image still has the same bytes' };
  });
  // Let the kernel finish the update (it may redraw several outputs), then look for errors again.
  calm = 0;
  const final = await waitFor(page, 'the kernel to be idle after the slider moved', opts.changeTimeoutMs, async () => {
    const s = await notebookState(page);
    calm = settled(s) ? calm + 1 : 0;
    return { done: calm >= 2, s };
  });
  const late = errorsOf(final.s);
  if (late.length) throw new CheckFailed(stage, late.join('\n\n'));
  details.changed_images = after.filter((p, i) => !before[i] || p.hash !== before[i].hash).length;
  mark('image_changed');
  await handle.evaluate((el) => el.blur()); // the same framing as 'before', without the focus ring
  await bringIntoView(page, output);
  await shot(page, '2-after');
  return 'all checks passed';
}, {
  failurePage: async (browser) => {
    try { // show the first error output, if there is one
      const error = browser.page.locator(`${PANEL} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]`);
      if (await error.count()) await bringIntoView(browser.page, error.first());
    } catch { /* keep the view as it is */ }
    return browser.page;
  },
});
