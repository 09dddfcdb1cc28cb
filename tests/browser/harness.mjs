// What drive_lab.mjs, drive_slides.mjs, drive_zh.mjs and drive_book.mjs share: reading the JSON options, the run's timings/log/screenshots,
// starting Debian's headless Chromium on a fresh profile folder (and removing it whatever happened), recording
// the pages' console errors, and the run around each driver's checks that ends with the one JSON line it prints.

import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

// Without the background-networking flags, Chromium's connections are refused by a closed network, many at a time.
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export class CheckFailed extends Error {
  constructor(stage, message) { super(message); this.stage = stage; }
}

// The options from argv[2] (JSON) over `defaults`; a missing required one prints the failure line and exits 2.
export function parseOptions(defaults) {
  try {
    const o = JSON.parse(process.argv[2] ?? '');
    for (const key of ['base', 'token', 'notebook', 'shots', 'name']) {
      if (!o[key]) throw new Error(`missing option ${key}`);
    }
    return { chromium: '/usr/bin/chromium', ...defaults, ...o };
  } catch (err) {
    console.log(JSON.stringify({ ok: false, stage: 'options', message: String(err) }));
    process.exit(2);
  }
}

// One driver run: its timings (seconds since the start), log lines on stderr, screenshots and details.
export function startRun(tag, opts) {
  const started = Date.now();
  const run = { timings: {}, screenshots: [], details: { console_errors: [] } };
  run.mark = (name) => { run.timings[name] = Math.round((Date.now() - started) / 100) / 10; };
  run.log = (msg) => process.stderr.write(`[${tag} ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`);
  run.shot = async (page, suffix) => {
    const file = path.join(opts.shots, `${opts.name}-${suffix}.png`);
    await page.screenshot({ path: file });
    run.screenshots.push(file);
    run.log(`screenshot ${file}`);
  };
  run.listen = (page) => {
    page.on('pageerror', (err) => run.details.console_errors.push(`pageerror: ${err.message}`.slice(0, 300)));
    page.on('console', (msg) => {
      if (msg.type() === 'error') run.details.console_errors.push(msg.text().slice(0, 300));
    });
  };
  return run;
}

// Chromium on a new, empty profile folder (a persistent context on it is Chromium's --user-data-dir; Playwright
// sets the flag itself), with its first page listened to. Returns {context, profile, page}.
export async function launchBrowser(opts, run, viewport) {
  await mkdir(opts.shots, { recursive: true });
  const profile = await mkdtemp(path.join(tmpdir(), 'course-chromium-'));
  const browser = { profile };
  try {
    browser.context = await chromium.launchPersistentContext(profile, {
      executablePath: opts.chromium, headless: true, args: CHROMIUM_FLAGS, viewport,
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  browser.page = browser.context.pages()[0] ?? await browser.context.newPage();
  run.listen(browser.page);
  run.mark('browser_started');
  return browser;
}

// A `waitFor(page, what, timeoutMs, test)` that polls `await test()` every `intervalMs` until it returns
// {done: true, ...} (which it returns) and otherwise fails the current stage (`stage()`) naming `what` and the
// last `why`.
export function poller(stage, intervalMs) {
  return async function waitFor(page, what, timeoutMs, test) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      last = await test();
      if (last && last.done) return last;
      await page.waitForTimeout(intervalMs);
    }
    throw new CheckFailed(stage(), `timed out after ${timeoutMs / 1000}s waiting for ${what}` +
      (last?.why ? ` (${last.why})` : ''));
  };
}

// Close the browser and remove its profile folder, whatever state they are in.
export async function closeBrowser(browser) {
  try { if (browser?.context) await browser.context.close(); } catch { /* already closed */ }
  if (browser?.profile) await rm(browser.profile, { recursive: true, force: true });
}

// Runs one driver's checks in a fresh Chromium, then ends the process: it prints the one JSON line
// {ok, stage, message, timings, screenshots, details} and exits 0 (every check passed), 1 (a check failed: any
// error once the browser is up) or 2 (the driver could not run). `checks(browser)` runs the steps and returns the
// success message; `stage()` says which step is running. Hooks: `failurePage(browser)` frames and returns the page to
// screenshot on a failure (default: the browser's page); `cleanup()` closes what the checks opened besides the
// browser; `beforeReport()` tidies run.details.
export async function runChecks(opts, run, viewport, stage, checks, { failurePage, cleanup, beforeReport } = {}) {
  let browser;
  let result;
  let exitCode = 0;
  try {
    browser = await launchBrowser(opts, run, viewport);
    result = { ok: true, stage: 'done', message: await checks(browser) };
  } catch (err) {
    exitCode = err instanceof CheckFailed || stage() !== 'launch' ? 1 : 2;
    result = { ok: false, stage: err.stage ?? stage(), message: String(err.message ?? err) };
    if (browser?.page) {
      try {
        await run.shot(failurePage ? await failurePage(browser) : browser.page, 'failure');
      } catch { /* the page may be gone */ }
    }
  } finally {
    try { if (cleanup) await cleanup(); } catch { /* already closed */ }
    await closeBrowser(browser);
    run.mark('total');
  }
  if (beforeReport) beforeReport();
  // process.exit() right after a write to a pipe can cut the line short (past 64 KB): exit once it is written.
  const line = JSON.stringify({ ...result, timings: run.timings, screenshots: run.screenshots, details: run.details });
  process.stdout.write(`${line}\n`, () => process.exit(exitCode));
}

// Private-use characters no font has a glyph for: the glyph check must call them tofu (its test of the test).
export const PUA = ['\uE001', '\uE0FF', '\uF8FF', '\u{F0000}'];

// Runs in the page (self-contained). For each character: drawn alone on a canvas in `font` (`size` px), compared
// pixel by pixel with U+E000 drawn the same way (.notdef: no font has a glyph for it).
export function glyphReport({ chars, font, size }) {
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(size * 3);
  canvas.height = Math.ceil(size * 2);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const draw = (ch) => {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.font = font;
    ctx.textBaseline = 'top';
    ctx.fillStyle = '#000';
    ctx.fillText(ch, size * 0.5, size * 0.3);
    return ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  };
  const notdef = draw('\uE000');
  ctx.font = font;
  const notdefWidth = ctx.measureText('\uE000').width / size;
  const glyphs = chars.map((ch) => {
    const pixels = draw(ch);
    let differ = 0;
    let ink = 0;
    for (let i = 3; i < pixels.length; i += 4) {
      if (pixels[i] !== notdef[i]) differ += 1;
      if (pixels[i]) ink += 1;
    }
    const width = ctx.measureText(ch).width / size;
    const why = [];
    if (differ === 0) why.push('drawn exactly as the .notdef box of U+E000');
    if (ink === 0) why.push('drawn with no ink');
    if (Math.abs(width - 1) > 0.15) why.push(`advance ${width.toFixed(2)} em, not about 1 em`);
    return {
      char: ch, code: `U+${ch.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
      width_em: Math.round(width * 1000) / 1000, ink, differ_from_notdef: differ, tofu: why.length > 0, why: why.join('; '),
    };
  });
  return { font, size, notdef_width_em: Math.round(notdefWidth * 1000) / 1000, glyphs };
}
