// What drive_lab.mjs, drive_slides.mjs and drive_zh.mjs share: reading the JSON options, the run's timings/log/screenshots,
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
