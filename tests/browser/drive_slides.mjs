// Presents lesson notebooks as RISE slides, in Debian's headless Chromium, and measures every slide of every deck.
//
//   node drive_slides.mjs '<json options>'
//
// Options (JSON): base (server URL, no trailing slash), token, notebook (the first deck's notebook, path under the
// server root), decks ([{notebook, name, shots}], the first one being `notebook`), workspace (a fresh JupyterLab
// workspace name), shots and name (for the failure screenshot), chromium, width and height (default 1280x720).
//
// Steps: open the first notebook in JupyterLab and run RISE's "Open as Reveal Slideshow" from the command palette,
// as a teacher does (the slideshow opens in a new window, /rise/<notebook>); check that Space moves on to the next
// slide. Then, in that window, present each deck in turn (/rise/<notebook>, one page load each, the previous
// deck's kernel shut down first) and visit each of its (sub-)slides through Reveal's URL (#/<slide id>), measuring
// by DOM geometry, with fragments laid out where they will appear (Reveal keeps their place): each shown cell's
// input and output area, the headings (h1, h2) of each cell (and whether each opens its cell), and whether the
// slide scrolls (RISE's `scroll` setting makes a slide taller than the window a scroll box); a slide that scrolls
// is scrolled to its end to see whether its last cell can be reached. A slide's `problems` say what a teacher
// could not see: a cell cut off by the window's edges, a slide of several cells that scrolls (a fragment could
// appear below the fold), a cell whose end cannot be scrolled to, or an element inside a cell that hides content
// behind its own scroll bar. Screenshots per deck: <name>-1-first.png (the first slide) and <name>-2-tallest.png
// (the slide with the most content, scrolled to its end if it scrolls), or <name>-2-problem.png (the first slide
// with a problem).
//
// Prints one JSON line on stdout: {ok, stage, message, timings, screenshots, details}; details.decks[i] =
// {notebook, slides: [{id, h, v, cells, headings, top, bottom, height, scrolls, end, problems}], ms}. The verdict on
// the decks is the caller's (tests/browser/test_rise_slides.py). Exit 0: every deck was presented; 1: a deck
// could not be opened or presented (stage 'open' or 'present'); 2: the driver could not run.

import { CheckFailed, parseOptions, runChecks, startRun } from './harness.mjs';

const opts = parseOptions({ workspace: `slides-${Date.now()}`, width: 1280, height: 720, decks: [] });
const run = startRun('drive_slides', opts);
const { details, mark, log, listen } = run;
let stage = 'launch';

// Runs in the slideshow window: visits every (sub-)slide through the URL and measures it. Transitions are switched
// off first (they move slides, not their layout), so every box is measured where it rests.
async function walkDeck() {
  const style = document.createElement('style');
  style.textContent = '.reveal .slides section, .reveal .slides section * { transition: none !important; }';
  document.head.appendChild(style);
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
  const W = window.innerWidth;
  const H = window.innerHeight;
  const label = (cell) => (cell.querySelector('.jp-RenderedMarkdown, .jp-InputArea-editor .cm-content')?.textContent ?? '')
    .trim().slice(0, 60);
  const stacks = [...document.querySelectorAll('.reveal .slides > section')];
  const slides = [];
  for (const [h, stack] of stacks.entries()) {
    const inner = [...stack.querySelectorAll(':scope > section')];
    for (const [v, slide] of (inner.length ? inner : [stack]).entries()) {
      location.hash = `#/${slide.id}`;
      for (let i = 0; i < 100 && !(slide.classList.contains('present') && stack.classList.contains('present')); i++) {
        await frame();
      }
      await frame();
      const cells = [...slide.querySelectorAll('.jp-Cell')]
        .filter((c) => !c.classList.contains('reveal-skip') && !c.closest('aside.notes'));
      const parts = cells.flatMap((cell) => [...cell.querySelectorAll(
        ':scope > .jp-Cell-inputWrapper, :scope > .jp-Cell-outputWrapper')].map((part) => ({ cell, part })))
        .filter(({ part }) => part.getBoundingClientRect().height > 0);
      // Positions are taken from the layout (the slide's place in Reveal's slide area plus each box's offset in
      // the slide), not from the window: RISE selects the notebook cell of a slide some time after it is shown,
      // and JupyterLab may then scroll the slide area to it, after the walk has moved on.
      const box = slide.getBoundingClientRect();
      const originTop = slide.offsetTop + (stack === slide ? 0 : stack.offsetTop);
      const originLeft = slide.offsetLeft + (stack === slide ? 0 : stack.offsetLeft);
      const at = (el) => {
        const r = el.getBoundingClientRect();
        return { top: originTop + r.top - box.top, bottom: originTop + r.bottom - box.top,
          left: originLeft + r.left - box.left, right: originLeft + r.right - box.left };
      };
      const scrolls = ['auto', 'scroll'].includes(getComputedStyle(slide).overflowY)
        && slide.scrollHeight > slide.clientHeight + 1;
      const view = scrolls ? { top: Math.max(0, originTop), bottom: Math.min(H, originTop + slide.clientHeight) }
        : { top: 0, bottom: H };
      const problems = [];
      let top = Infinity; let bottom = -Infinity;
      for (const { cell, part } of parts) {
        const r = at(part);
        top = Math.min(top, r.top); bottom = Math.max(bottom, r.bottom);
        if (r.left < -1 || r.right > W + 1) problems.push(`cut off at the side: ${JSON.stringify(label(cell))}`);
        if (!scrolls && (r.top < view.top - 1 || r.bottom > view.bottom + 1)) {
          problems.push(`cut off (y ${Math.round(r.top)} to ${Math.round(r.bottom)} of ${H}): ${JSON.stringify(label(cell))}`);
        }
      }
      let end = null;
      if (scrolls) {
        if (cells.length > 1) problems.push(`scrolls, with ${cells.length} cells: a fragment may appear below the fold`);
        slide.scrollTop = slide.scrollHeight;
        end = Math.round(Math.max(...parts.map(({ part }) => at(part).bottom)));
        if (end > view.bottom + 1) problems.push(`scrolled to its end, the cell still ends at y ${end}, below ${view.bottom}`);
        slide.scrollTop = 0;
      }
      // an element inside a cell that holds more than it shows (JupyterLab's scrolled outputs, say)
      for (const el of slide.querySelectorAll('.jp-Cell *')) {
        if (el.clientHeight === 0 || el.scrollHeight <= el.clientHeight + 1 || el.closest('aside.notes, .reveal-skip')) continue;
        if (['auto', 'scroll'].includes(getComputedStyle(el).overflowY)) {
          problems.push(`hides content behind its own scroll bar: ${el.tagName.toLowerCase()}.${[...el.classList].slice(0, 2).join('.')}`);
        }
      }
      slides.push({
        id: slide.id, h, v, cells: cells.length,
        headings: cells.flatMap((cell, i) => [...cell.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown :is(h1, h2)')]
          .map((el) => ({ cell: i, first: el === el.parentElement.firstElementChild, level: Number(el.tagName[1]),
            text: el.textContent.replace(/¶$/, '').trim() }))),
        top: Math.round(top), bottom: Math.round(bottom), height: Math.round(bottom - top), scrolls, end, problems,
      });
    }
  }
  return { slides };
}

async function showSlide(page, id, scrollToEnd) {
  await page.evaluate(async ({ id, scrollToEnd }) => {
    location.hash = `#/${id}`;
    const slide = document.getElementById(id);
    for (let i = 0; i < 100 && !slide.classList.contains('present'); i++) {
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    slide.querySelectorAll('.fragment').forEach((f) => f.classList.add('visible')); // as after its last key press
    if (scrollToEnd) slide.scrollTop = slide.scrollHeight;
  }, { id, scrollToEnd });
  await page.waitForTimeout(100);
}

async function openDeck(page, notebook) {
  await page.waitForSelector('.reveal.ready .slides > section.present', { timeout: 90000 });
  // every image of the deck loaded (they are the stored outputs, inline)
  await page.waitForFunction(() => [...document.querySelectorAll('.reveal img')].every((i) => i.complete),
    null, { timeout: 30000 });
  log(`presenting ${notebook}`);
}

let slidesPage;
await runChecks(opts, run, { width: opts.width, height: opts.height }, () => stage, async (browser) => {
  const { context, page } = browser;
  const decks = opts.decks.length ? opts.decks : [{ notebook: opts.notebook, name: opts.name, shots: opts.shots }];

  stage = 'open';
  const url = `${opts.base}/lab/workspaces/${opts.workspace}/tree/${decks[0].notebook}?reset&token=${opts.token}`;
  log(`opening ${url.replace(opts.token, '<token>')}`);
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60000 });
  const panel = '.jp-NotebookPanel:not(.lm-mod-hidden)';
  await page.waitForSelector(`${panel} .jp-Notebook .jp-Cell`, { timeout: 60000 });
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
  if (!new URL(slidesPage.url()).pathname.endsWith(`/rise/${decks[0].notebook}`)) {
    throw new CheckFailed(stage, `the slideshow opened at ${details.url}, not /rise/${decks[0].notebook}`);
  }
  await page.close(); // the lab window is not needed any more

  stage = 'present';
  await openDeck(slidesPage, decks[0].notebook);
  mark('slideshow_ready');
  // The teacher's key: Space moves from the title to the next slide.
  await slidesPage.locator('.reveal').click({ position: { x: 640, y: 5 } }).catch(() => {});
  const before = slidesPage.url();
  await slidesPage.keyboard.press('Space');
  await slidesPage.waitForFunction((old) => location.href !== old, before, { timeout: 10000 }).catch(() => {});
  details.space = { from: before.split('#')[1], to: slidesPage.url().split('#')[1] };
  if (details.space.from === details.space.to) throw new CheckFailed(stage, `Space did not move on from #${details.space.from}`);

  // Each deck's window starts a kernel: end the previous deck's before the next one loads (through the REST API,
  // as JupyterLab's "Shut Down" does), so that kernels do not pile up on a small machine.
  const api = (path, method = 'GET') => fetch(`${opts.base}${path}`, { method, headers: { Authorization: `token ${opts.token}` } });
  const endSessions = async () => {
    for (const session of await (await api('/api/sessions')).json()) await api(`/api/sessions/${session.id}`, 'DELETE');
  };

  details.decks = [];
  for (const [index, deck] of decks.entries()) {
    const started = Date.now();
    if (index > 0) {
      await slidesPage.goto('about:blank');
      await endSessions().catch((err) => log(`could not end the kernels: ${err.message}`));
      await slidesPage.goto(`${opts.base}/rise/${deck.notebook}?token=${opts.token}`, { waitUntil: 'domcontentloaded' });
      await openDeck(slidesPage, deck.notebook);
    }
    const walked = await slidesPage.evaluate(walkDeck);
    const report = { notebook: deck.notebook, ...walked };
    const shot = async (suffix) => {
      const file = `${deck.shots}/${deck.name}-${suffix}.png`;
      await slidesPage.screenshot({ path: file });
      run.screenshots.push(file);
    };
    await showSlide(slidesPage, report.slides[0].id, false);
    await shot('1-first');
    const problem = report.slides.find((s) => s.problems.length);
    const tallest = report.slides.reduce((a, b) => (b.height > a.height ? b : a));
    await showSlide(slidesPage, (problem ?? tallest).id, !problem && tallest.scrolls);
    await shot(problem ? '2-problem' : '2-tallest');
    report.ms = Date.now() - started;
    details.decks.push(report);
    const bad = report.slides.filter((s) => s.problems.length).length;
    log(`${deck.notebook}: ${report.slides.length} slides, ` +
      `${report.slides.filter((s) => s.scrolls).length} scroll, ${bad} with problems (${report.ms} ms)`);
  }
  mark('decks_presented');
  return `${decks.length} decks presented`;
}, {
  failurePage: async (browser) => slidesPage ?? browser.page,
  // The RISE window logs the same few errors many times (ipywidgets' manager does not load there; MathJax 2 from a
  // CDN and the optional rise.css are not found offline): keep each message once.
  beforeReport: () => { details.console_errors = [...new Set(details.console_errors)].slice(0, 10); },
});
