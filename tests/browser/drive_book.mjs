// Drives the web book (python course.py book), served by `python -m http.server`, in headless Chromium:
//   node drive_book.mjs '{"base": "http://127.0.0.1:PORT", "token": "-", "notebook": "notebooks/01_x.html",
//                         "shots": "...", "name": "book", "query": "stateless_random_brightness"}'
// Checks, in order (stage names in brackets):
//   [english]  the English lesson opens, with its H1 and the page bar, alt text on every figure, a copy button on
//              every code cell, and no cell metadata (nbval, slideshow) in its text;
//   [switch]   the bar's language switch leads to the same page in Chinese, whose H1 is drawn with Chinese glyphs,
//              not tofu (the same glyph check calls private-use characters tofu: the test of the test);
//   [solution] back in English, the first exercise's link opens the worked solutions scrolled to that exercise;
//   [search]   the search box finds `query` (results: the English lesson) and `query_zh`, a Chinese word (results: the
//              Chinese lesson);
//   [offline]  no request went to another host than the book's server.
// Screenshots: <name>-1-lesson-en.png, -2-lesson-zh.png, -3-solution.png, -4-search.png. Prints one JSON line.
import { CheckFailed, PUA, glyphReport, parseOptions, poller, runChecks, startRun } from './harness.mjs';

const opts = parseOptions({ query: 'stateless_random_brightness', query_zh: '增广' });
const run = startRun('drive_book', opts);
const { details, log, mark, shot } = run;
let stage = 'launch';
const waitFor = poller(() => stage, 250);

async function heading(page) {
  return page.evaluate(() => {
    const h1 = document.querySelector('main h1, article h1, h1');
    if (!h1) return null;
    const style = getComputedStyle(h1);
    return { text: h1.textContent.replace('#', '').trim(), font: `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`,
      size: parseFloat(style.fontSize), lang: document.documentElement.lang };
  });
}

// Types `query` into the search box of `home` and returns the results, which must list the page `expected`.
async function search(page, home, query, expected) {
  await open(page, `${opts.base}/${home}`, `the page ${home}`);
  await page.keyboard.press('Control+k');
  const box = page.locator('input[name="q"]:visible').first();
  await box.waitFor({ timeout: 10000 });
  await box.fill(query);
  await box.press('Enter');
  await page.waitForLoadState('load');
  const found = await waitFor(page, `search results for ${query}`, 30000, () => page.evaluate(() => {
    const items = [...document.querySelectorAll('#search-results li, ul.search li')];
    const links = items.map((li) => li.querySelector('a')?.getAttribute('href') ?? '');
    // Results come in one by one; Sphinx's summary line, with the count, comes when the search has finished.
    const summary = document.querySelector('.search-summary')?.textContent ?? '';
    return { done: /\d/.test(summary), why: `${items.length} results so far at ${location.href}`, count: items.length, links, url: location.href, summary };
  }));
  if (!found.links.some((href) => href.split('?')[0].endsWith(expected))) {
    throw new CheckFailed(stage, `the search for ${query} did not list ${expected}: ${JSON.stringify(found.links)}`);
  }
  return { query, ...found };
}

async function open(page, url, what) {
  log(`opening ${url}`);
  const response = await page.goto(url, { waitUntil: 'load', timeout: 60000 });
  if (!response || !response.ok()) throw new CheckFailed(stage, `${what}: ${url} answered ${response?.status()}`);
}

await runChecks(opts, run, { width: 1280, height: 900 }, () => stage, async ({ page, context }) => {
  const origin = new URL(opts.base).origin;
  details.requests = 0;
  details.external = [];
  context.on('request', (request) => {
    details.requests += 1;
    const url = request.url();
    if (!url.startsWith(origin) && !/^(data|blob|about):/.test(url)) details.external.push(url);
  });

  stage = 'english';
  const lesson = `${opts.base}/${opts.notebook}`;
  await open(page, lesson, 'the English lesson');
  details.english = await heading(page);
  const bar = page.locator('div.book-bar a');
  if (!details.english || (await bar.count()) < 2) {
    throw new CheckFailed(stage, `no H1 or no page bar (switch and download) on ${lesson}: ${JSON.stringify(details.english)}`);
  }
  details.download = await bar.nth(1).getAttribute('href');
  // Figures with alt text, a copy button on each code cell, and no test or slide metadata in the visible text.
  details.page = await page.evaluate(() => {
    const images = [...document.querySelectorAll('main img')];
    const text = document.body.innerText;
    return {
      images: images.length, images_without_alt: images.filter((img) => !img.alt || /\.(png|jpe?g)$/.test(img.alt)).length,
      code_cells: document.querySelectorAll('main .cell_input').length, copy_buttons: document.querySelectorAll('main .cell_input button.copybtn').length,
      metadata_shown: ['nbval', 'slideshow', 'slide_type'].filter((word) => text.includes(word)),
    };
  });
  const p = details.page;
  if (!p.images || p.images_without_alt || p.copy_buttons !== p.code_cells || p.metadata_shown.length) {
    throw new CheckFailed(stage, `figures without alt text, code cells without a copy button, or metadata shown: ${JSON.stringify(p)}`);
  }
  await shot(page, '1-lesson-en');
  mark('english');

  stage = 'switch';
  await bar.first().click();
  await page.waitForLoadState('load');
  details.chinese_url = page.url();
  const expected = lesson.replace('/notebooks/', '/notebooks/zh/');
  if (details.chinese_url.split('#')[0] !== expected) {
    throw new CheckFailed(stage, `the language switch led to ${details.chinese_url}, not ${expected}`);
  }
  details.chinese = await heading(page);
  const han = [...new Set([...(details.chinese?.text ?? '')].filter((ch) => /\p{Script=Han}/u.test(ch)))];
  if (!han.length) throw new CheckFailed(stage, `the Chinese page's H1 has no Chinese characters: ${JSON.stringify(details.chinese)}`);
  details.glyphs = (await page.evaluate(glyphReport, { chars: han, font: details.chinese.font, size: details.chinese.size })).glyphs;
  details.pua = (await page.evaluate(glyphReport, { chars: PUA, font: details.chinese.font, size: details.chinese.size })).glyphs;
  if (!details.pua.every((g) => g.tofu)) throw new CheckFailed(stage, `the glyph check cannot see tofu: ${JSON.stringify(details.pua)}`);
  const tofu = details.glyphs.filter((g) => g.tofu);
  if (tofu.length) throw new CheckFailed(stage, `the Chinese H1 is drawn with tofu boxes: ${JSON.stringify(tofu)}`);
  await shot(page, '2-lesson-zh');
  mark('switch');

  stage = 'solution';
  await open(page, lesson, 'the English lesson again');
  const link = page.locator('a[href*="solutions/"][href*="#"]').first();
  if (!(await link.count())) throw new CheckFailed(stage, 'the English lesson has no link to a worked solution');
  details.exercise_link = await link.getAttribute('href');
  await link.click();
  await page.waitForLoadState('load');
  const target = decodeURIComponent(new URL(page.url()).hash.slice(1));
  details.solution = await waitFor(page, `the solution's anchor #${target} to be scrolled into view`, 15000, () => page.evaluate((id) => {
    const element = document.getElementById(id);
    if (!element) return { done: false, why: `no element with id ${id}` };
    const box = element.getBoundingClientRect();
    // The label is a span just before the exercise's heading, or the heading's section itself.
    const next = [...document.querySelectorAll('h1, h2, h3, h4')].find((h) => element.contains(h) ||
      (element.compareDocumentPosition(h) & Node.DOCUMENT_POSITION_FOLLOWING));
    const text = (next?.textContent ?? '').replace('#', '').trim().slice(0, 80);
    return { done: box.top >= -2 && box.top < window.innerHeight / 2, why: `its top is at ${Math.round(box.top)}`, top: Math.round(box.top), text, url: location.href };
  }, target));
  if (!details.solution.url.includes('_solutions.html')) throw new CheckFailed(stage, `the link led to ${details.solution.url}`);
  await shot(page, '3-solution');
  mark('solution');

  stage = 'search';
  details.search = await search(page, 'index.html', opts.query, opts.notebook);
  await page.waitForTimeout(500);
  await shot(page, '4-search');
  details.search_zh = await search(page, 'zh.html', opts.query_zh, opts.notebook.replace('notebooks/', 'notebooks/zh/'));
  mark('search');

  stage = 'offline';
  if (details.external.length) throw new CheckFailed(stage, `requests to other hosts: ${JSON.stringify(details.external.slice(0, 10))}`);
  return `book checked: ${details.requests} requests, all to ${origin}`;
});
