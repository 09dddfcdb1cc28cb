// Presents one notebook as RISE slides from JupyterLab, in Debian's headless Chromium, and checks every slide fits.
//
//   node drive_slides.mjs '<json options>'
//
// Options (JSON): base (server URL, no trailing slash), token, notebook (path under the server root),
// workspace (a fresh JupyterLab workspace name), shots (folder for screenshots), name (screenshot prefix),
// chromium (executable path), width and height (the screen, default 1280x720), maxSteps (default 600).
//
// Steps: open the notebook in JupyterLab; run RISE's "Open as Reveal Slideshow" from the command palette (the
// slideshow opens in a new window, at the same size); wait until Reveal.js is ready; press Space (RISE's "next")
// until the last fragment of the last slide, and on every slide measure what is shown: each visible cell's input
// and output area must lie within the window (nothing cut off at any edge, no slide taller than the screen), and
// no element of the slide may scroll. Screenshots: the first slide, the first slide with code and output (with
// all its fragments shown) and the last slide.
//
// Prints one JSON line on stdout: {ok, stage, message, timings, screenshots, details}; details.slides is the
// number of slides (Reveal's horizontal and vertical slides; fragments are steps within a slide), details.steps
// the key presses, details.overflowing the slides that do not fit. Exit 0: every check passed; 1: a check failed
// (stage 'open', 'present' or 'fit'); 2: the driver could not run.

import { CheckFailed, parseOptions, runChecks, startRun } from './harness.mjs';

const opts = parseOptions({ workspace: `slides-${Date.now()}`, width: 1280, height: 720, maxSteps: 600 });
const run = startRun('drive_slides', opts);
const { details, mark, log, listen } = run;
let stage = 'launch';

// Where the slideshow is, and whether what the present slide shows fits the window. Positions are taken from the
// layout (the slide's offset in Reveal's slide area plus each box's offset in the slide), so that a slide still
// moving in (Reveal's transition) is measured where it will rest.
function measure() {
  const slidesEl = document.querySelector('.reveal .slides');
  const outer = document.querySelector('.reveal .slides > section.present');
  if (!slidesEl || !outer) return null;
  const slide = outer.querySelector(':scope > section.present') ?? outer;
  const area = slidesEl.getBoundingClientRect();
  const box = slide.getBoundingClientRect();
  const originTop = area.top + slide.offsetTop;
  const originLeft = area.left + slide.offsetLeft;
  const W = window.innerWidth;
  const H = window.innerHeight;
  const cells = [...slide.querySelectorAll('.jp-Cell')]
    .filter((c) => !c.classList.contains('reveal-skip') && !c.closest('aside.notes'));
  let top = Infinity; let bottom = -Infinity; let left = Infinity; let right = -Infinity;
  const cut = [];
  let hasCode = false;
  cells.forEach((cell) => {
    const parts = [...cell.querySelectorAll(':scope > .jp-Cell-inputWrapper, :scope > .jp-Cell-outputWrapper')];
    const text = (cell.querySelector('.jp-InputArea-editor .cm-content, .jp-RenderedMarkdown')?.textContent ?? '')
      .trim().slice(0, 60);
    if (cell.classList.contains('jp-CodeCell')) hasCode ||= !!cell.querySelector('.jp-OutputArea-output');
    for (const part of parts) {
      const r = part.getBoundingClientRect();
      if (r.height === 0 && r.width === 0) continue;
      const t = originTop + (r.top - box.top); const b = t + r.height;
      const l = originLeft + (r.left - box.left); const rt = l + r.width;
      top = Math.min(top, t); bottom = Math.max(bottom, b); left = Math.min(left, l); right = Math.max(right, rt);
      if (t < -1 || b > H + 1 || l < -1 || rt > W + 1) {
        cut.push({ cell: text, top: Math.round(t), bottom: Math.round(b), left: Math.round(l), right: Math.round(rt) });
      }
    }
  });
  // "No slide scrolling": nothing in the slide may hold content it can only show by scrolling.
  const scrolling = [slide, ...slide.querySelectorAll('*')].filter((el) => {
    if (el.closest('aside.notes') || el.closest('.reveal-skip')) return false;
    const style = getComputedStyle(el);
    return ['auto', 'scroll'].includes(style.overflowY) && el.scrollHeight > el.clientHeight + 1 && el.clientHeight > 0;
  }).map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].slice(0, 2).join('.')}`);
  const fragments = [...slide.querySelectorAll('.fragment')];
  return {
    id: slide.id || outer.id,
    hash: location.hash,
    cells: cells.length,
    hasCode,
    hidden: fragments.filter((f) => !f.classList.contains('visible')).length,
    visibleFragments: fragments.filter((f) => f.classList.contains('visible')).length,
    last: !outer.nextElementSibling?.matches('section') && !slide.nextElementSibling?.matches('section'),
    top: Math.round(top), bottom: Math.round(bottom), left: Math.round(left), right: Math.round(right),
    scrollHeight: slide.scrollHeight, screen: [W, H], cut, scrolling,
    moving: getComputedStyle(slide).transform !== 'none' || getComputedStyle(outer).transform !== 'none',
  };
}

async function settledState(page) {
  for (let i = 0; i < 40; i++) { // a transition takes under a second
    const s = await page.evaluate(measure);
    if (s && !s.moving) return s;
    await page.waitForTimeout(50);
  }
  return page.evaluate(measure);
}

async function shot(page, suffix) {
  await page.waitForTimeout(300); // let a slide transition finish
  await run.shot(page, suffix);
}

let slidesPage;
await runChecks(opts, run, { width: opts.width, height: opts.height }, () => stage, async (browser) => {
  const { context, page } = browser;

  stage = 'open';
  const url = `${opts.base}/lab/workspaces/${opts.workspace}/tree/${opts.notebook}?reset&token=${opts.token}`;
  log(`opening ${url.replace(opts.token, '<token>')}`);
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60000 });
  const panel = '.jp-NotebookPanel:not(.lm-mod-hidden)';
  await page.waitForSelector(`${panel} .jp-Notebook .jp-Cell`, { timeout: 60000 });
  await page.locator(`${panel} .jp-Notebook`).first().click({ position: { x: 5, y: 5 } }).catch(() => {});
  mark('notebook_open');

  // Wait until JupyterLab has settled (the notebook's kernel started and idle): while it starts, focus moves
  // and would close the command palette again.
  const deadline = Date.now() + 90000;
  while (Date.now() < deadline) {
    const status = await page.locator(`${panel} .jp-Notebook-ExecutionIndicator`).first()
      .getAttribute('data-status').catch(() => null);
    if (status === 'idle') break;
    await page.waitForTimeout(500);
  }
  await page.waitForTimeout(1000);
  mark('kernel_idle');

  // RISE's command, as a teacher finds it: "Open as Reveal Slideshow" in the command palette (Ctrl+Shift+C). It
  // saves the notebook and opens the slideshow in a new window.
  const palette = page.locator('.jp-ModalCommandPalette .lm-CommandPalette-input');
  const item = page.locator('.jp-ModalCommandPalette .lm-CommandPalette-item', { hasText: /Open as Reveal Slideshow/ })
    .first();
  for (let attempt = 1; ; attempt++) {
    try {
      log(`command palette: Open as Reveal Slideshow (attempt ${attempt})`);
      await page.locator(`${panel} .jp-Notebook`).first().click({ position: { x: 5, y: 5 } }).catch(() => {});
      await page.keyboard.press('Control+Shift+C');
      await palette.waitFor({ state: 'visible', timeout: 5000 });
      await palette.fill('Open as Reveal Slideshow', { timeout: 5000 });
      await item.waitFor({ state: 'visible', timeout: 5000 });
      const opened = context.waitForEvent('page', { timeout: 30000 });
      await item.click({ timeout: 5000 });
      slidesPage = await opened;
      break;
    } catch (err) {
      if (attempt >= 5) throw new CheckFailed(stage, `could not run "Open as Reveal Slideshow" from the command ` +
        `palette (is jupyterlab-rise installed?): ${err.message.split('\n')[0]}`);
      await page.keyboard.press('Escape').catch(() => {});
      await page.waitForTimeout(1000);
    }
  }
  listen(slidesPage);
  await slidesPage.setViewportSize({ width: opts.width, height: opts.height });
  details.url = slidesPage.url().replace(opts.token, '<token>');
  log(`slideshow window: ${details.url}`);

  stage = 'present';
  await slidesPage.waitForSelector('.reveal.ready .slides > section.present', { timeout: 90000 });
  // every image of the deck loaded (they are the stored outputs, inline)
  await slidesPage.waitForFunction(() => [...document.querySelectorAll('.reveal img')].every((i) => i.complete),
    null, { timeout: 30000 });
  await slidesPage.waitForTimeout(500);
  mark('slideshow_ready');
  await slidesPage.locator('.reveal').click({ position: { x: 640, y: 5 } }).catch(() => {});

  const seen = new Map(); // slide id -> worst measurement
  let state = await settledState(slidesPage);
  if (!state) throw new CheckFailed(stage, 'the slideshow shows no slide');
  details.first = state.id;
  await shot(slidesPage, '1-first');
  let steps = 0;
  let codeShot = false;
  for (;;) {
    const worst = seen.get(state.id);
    if (!worst || state.cut.length > worst.cut.length || state.bottom > worst.bottom) seen.set(state.id, state);
    if (!codeShot && state.hasCode && state.hidden === 0) {
      await shot(slidesPage, '2-code');
      details.code_slide = state.id;
      codeShot = true;
    }
    if (state.last && state.hidden === 0) break;
    if (steps >= opts.maxSteps) throw new CheckFailed(stage, `still not at the last slide after ${steps} steps`);
    const before = `${state.id}/${state.visibleFragments}`;
    await slidesPage.keyboard.press('Space');
    steps += 1;
    let next = null;
    for (let i = 0; i < 60; i++) {
      next = await slidesPage.evaluate(measure);
      if (next && `${next.id}/${next.visibleFragments}` !== before) break;
      await slidesPage.waitForTimeout(50);
    }
    if (!next || `${next.id}/${next.visibleFragments}` === before) {
      throw new CheckFailed(stage, `Space did not move on from slide ${before} (step ${steps}), ` +
        'but it is not the last slide');
    }
    state = await settledState(slidesPage);
  }
  mark('stepped_through');
  await shot(slidesPage, '3-last');
  details.slides = seen.size;
  details.steps = steps;
  details.last = state.id;
  details.tallest = Math.max(...[...seen.values()].map((s) => s.bottom - s.top));
  details.overflowing = [...seen.values()].filter((s) => s.cut.length || s.scrolling.length)
    .map((s) => ({ id: s.id, top: s.top, bottom: s.bottom, left: s.left, right: s.right,
      scrollHeight: s.scrollHeight, cut: s.cut.slice(0, 3), scrolling: s.scrolling.slice(0, 3) }));
  log(`${details.slides} slides, ${steps} steps, tallest content ${details.tallest}px; ` +
    `${details.overflowing.length} do not fit ${opts.width}x${opts.height}`);

  stage = 'fit';
  if (details.overflowing.length) {
    const first = details.overflowing[0];
    await slidesPage.goto(slidesPage.url().replace(/#.*$/, `#/${first.id}`));
    await slidesPage.waitForSelector('.reveal.ready', { timeout: 60000 });
    for (let i = 0; i < 40; i++) { // the failure screenshot shows that slide, at rest
      const s = await settledState(slidesPage);
      if (s && s.id === first.id) break;
      await slidesPage.waitForTimeout(100);
    }
    await slidesPage.waitForTimeout(700);
    throw new CheckFailed(stage, `${details.overflowing.length} of ${details.slides} slides do not fit the ` +
      `${opts.width}x${opts.height} window: ` + details.overflowing.map((s) =>
      `${s.id} (content from y=${s.top} to y=${s.bottom}, x=${s.left} to ${s.right}` +
      `${s.scrolling.length ? `; scrolls: ${s.scrolling.join(', ')}` : ''}` +
      `${s.cut.length ? `; cut off: ${JSON.stringify(s.cut[0].cell)}` : ''})`).join('; '));
  }
  return 'every slide fits';
}, {
  failurePage: async (browser) => slidesPage ?? browser.page,
  // The RISE window logs the same few errors many times (ipywidgets' manager does not load there; MathJax 2 from a
  // CDN and the optional rise.css are not found offline): keep each message once.
  beforeReport: () => { details.console_errors = [...new Set(details.console_errors)].slice(0, 10); },
});
