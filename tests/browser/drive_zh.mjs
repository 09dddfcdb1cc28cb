// Checks the Chinese edition as `python course.py start --lang zh` shows it, in Debian's headless Chromium.
//
//   node drive_zh.mjs '<json options>'
//
// Options (JSON): base (server URL, no trailing slash; a server started with the Chinese app settings), token,
// notebook (a Chinese notebook, path under the server root), workspace, shots, name (screenshot prefix),
// chromium, menuZh (menu labels that must be shown), menuEn (English labels that must not be), links (see
// below), noCjkFontconfig (optional: a fontconfig file that offers no Chinese font, for the test of the test),
// figure (optional: {cell, sha256}, see below).
//
// Steps:
//  menu   the main menu bar's labels, read from the DOM, are Chinese: every label of menuZh is there, none of menuEn.
//  font   the notebook's first H1 (a Chinese heading) is drawn with glyphs, not tofu: glyphReport() draws each Han
//         character of the heading on a canvas, in the heading's computed font, and compares the pixels with those
//         of U+E000 (a private-use character no font has, so what is drawn is the font's .notdef box); a character
//         drawn exactly like it, or drawn with no ink, or whose advance is not about 1 em, is tofu. The test of the
//         test: the same function, given private-use characters, must call every one of them tofu. With
//         noCjkFontconfig, the same function also runs in a second, bare Chromium that sees no Chinese font, on the
//         same heading and font (details.no_cjk_font: the caller checks that the check would fail there).
//         details.platform_fonts: the fonts Chromium used for the heading (DevTools CSS.getPlatformFontsForNode).
//  shot   <name>-1-notebook.png: the Chinese menus and the Chinese notebook.
//  figure with opts.figure: scroll the notebook until cell number `cell` (0-based; a code cell that draws a figure
//         with Chinese text) is rendered, and check that its output image is loaded (naturalWidth > 0) and is the
//         stored figure: the SHA-256 of the image's base64 text equals `sha256` (whether that figure has tofu is
//         checked where it is drawn: nbval runs the Chinese notebook, and a missing glyph warns on stderr).
//         Screenshot <name>-3-figure.png.
//  link   for each link {lesson, href, target, cell, heading, expect}: open `lesson` (unless it is the notebook on
//         screen), click the <a> written as `href` (JupyterLab renders it as /files/<target>?...#cell-id=...: the
//         path and fragment are compared), fail if it opens a browser tab instead, wait until `target` (a notebook path) is the current tab and
//         its scrolling has settled, then check that cell number `cell` (0-based) of `target` is rendered, holds
//         `heading`, and lies in the notebook's view. expect=false marks a control (a link to a cell id that does
//         not exist): its verdict is recorded in details.links[i].failure instead of failing the run. The target's
//         tab is closed after each link, so the next click opens it afresh. Screenshot <name>-2-solution.png after
//         the first expected link.
//
// Prints one JSON line on stdout: {ok, stage, message, timings, screenshots, details}. Exit 0: every check passed;
// 1: a check failed (stage 'open', 'menu', 'font' or 'link'); 2: the driver could not run.

import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS, CheckFailed, PUA, glyphReport, parseOptions, poller, runChecks, startRun } from './harness.mjs';

const opts = parseOptions({
  workspace: `zh-${Date.now()}`, links: [], noCjkFontconfig: null,
  menuZh: ['文件', '编辑', '查看', '运行', '内核'], menuEn: ['File', 'Edit', 'View', 'Run', 'Kernel', 'Tabs', 'Settings', 'Help'],
});
const run = startRun('drive_zh', opts);
const { details, mark, log, shot } = run;
let stage = 'launch';

const PANEL = '.jp-NotebookPanel:not(.lm-mod-hidden)';
const CURRENT_TAB = '#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current';
const hanOf = (text) => [...new Set([...text].filter((ch) => /\p{Script=Han}/u.test(ch)))];
const describe = (glyphs) => glyphs.map((g) => `${g.char} (${g.code}: ${g.why})`).join(', ');

const waitFor = poller(() => stage, 250);

async function openNotebook(page, notebook) {
  const url = `${opts.base}/lab/workspaces/${opts.workspace}/tree/${notebook}?reset&token=${opts.token}`;
  log(`opening ${url.replace(opts.token, '<token>')}`);
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60000 });
  await waitFor(page, `${notebook} to be the current tab, rendered`, 60000, async () => {
    const tab = await currentTab(page);
    const rendered = await page.locator(`${PANEL} .jp-RenderedMarkdown`).count();
    return { done: tab === notebook.split('/').pop() && rendered > 0, why: `current tab ${tab}, ${rendered} rendered markdown cells` };
  });
}

async function currentTab(page) {
  const tab = page.locator(`${CURRENT_TAB} .lm-TabBar-tabLabel`);
  return (await tab.count()) ? (await tab.first().innerText()).trim() : null;
}

// Where the visible notebook is scrolled to, and where its cell number `index` is (null: not rendered).
async function notebookView(page, index) {
  return page.evaluate(({ panelSel, index }) => {
    const panel = document.querySelector(panelSel);
    const outer = panel?.querySelector('.jp-WindowedPanel-outer');
    if (!outer) return null;
    const view = outer.getBoundingClientRect();
    const cell = panel.querySelector(`.jp-Notebook .jp-Cell[data-windowed-list-index="${index}"]`);
    const active = panel.querySelector('.jp-Notebook .jp-Cell.jp-mod-selected') ?? panel.querySelector('.jp-Notebook .jp-Cell.jp-mod-active');
    // A cell: its index, its text, and where its first line (its heading, if it has one) is in the view.
    const at = (el) => {
      if (!el) return null;
      const first = (el.querySelector('.jp-RenderedMarkdown :is(h1, h2, h3, h4, h5, h6)') ?? el).getBoundingClientRect();
      return {
        index: Number(el.dataset.windowedListIndex), top: Math.round(first.top - view.top),
        bottom: Math.round(first.bottom - view.top),
        text: (el.querySelector('.jp-RenderedMarkdown, .cm-content')?.textContent ?? '').trim().slice(0, 80),
      };
    };
    return { scrollTop: Math.round(outer.scrollTop), height: Math.round(view.height), cell: at(cell), active: at(active) };
  }, { panelSel: PANEL, index });
}

// Why the link check fails on what notebookView() saw, or null when it passes.
function linkFailure(link, view) {
  const where = `${link.target} (scrollTop ${view?.scrollTop}, active cell ${JSON.stringify(view?.active)})`;
  if (!view) return `no notebook view for ${link.target}`;
  if (!view.cell) return `cell ${link.cell} of ${where} is not rendered: the notebook was not scrolled to it`;
  if (!view.cell.text.includes(link.heading)) {
    return `cell ${link.cell} of ${link.target} shows '${view.cell.text}', not '${link.heading}'`;
  }
  if (view.cell.top < -2 || view.cell.bottom > view.height) {
    return `the heading of cell ${link.cell} ('${link.heading}') of ${where} is at y=${view.cell.top}-` +
      `${view.cell.bottom} px, not within the notebook's view (0-${view.height} px): the link did not scroll to it`;
  }
  return null;
}

let bare;
let page;
await runChecks(opts, run, { width: 1280, height: 900 }, () => stage, async (browser) => {
  page = browser.page;

  stage = 'open';
  await openNotebook(page, opts.notebook);
  const h1 = page.locator(`${PANEL} .jp-RenderedMarkdown h1`).first();
  await h1.waitFor({ state: 'visible', timeout: 30000 });
  mark('notebook_open');

  stage = 'menu';
  const labels = page.locator('#jp-MainMenu .lm-MenuBar-itemLabel');
  await labels.first().waitFor({ state: 'visible', timeout: 30000 });
  details.menu = (await labels.allInnerTexts()).map((t) => t.trim());
  log(`main menu: ${details.menu.join(' | ')}`);
  const missing = opts.menuZh.filter((l) => !details.menu.includes(l));
  const english = opts.menuEn.filter((l) => details.menu.includes(l));
  if (missing.length || english.length) {
    throw new CheckFailed(stage, `the main menu is not in Chinese: it shows ${JSON.stringify(details.menu)}` +
      (missing.length ? `; missing ${JSON.stringify(missing)}` : '') + (english.length ? `; English ${JSON.stringify(english)}` : ''));
  }

  stage = 'font';
  await page.evaluate(() => document.fonts.ready);
  const heading = await h1.evaluate((el) => {
    el.setAttribute('data-zh-font-check', '');
    const style = getComputedStyle(el);
    return {
      text: el.textContent.replace(/¶$/, '').trim(), family: style.fontFamily, size: parseFloat(style.fontSize),
      font: `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`,
    };
  });
  details.heading = heading;
  const han = hanOf(heading.text);
  if (!han.length) throw new CheckFailed(stage, `the notebook's H1 '${heading.text}' has no Chinese characters`);
  const report = await page.evaluate(glyphReport, { chars: han, font: heading.font, size: heading.size });
  const pua = await page.evaluate(glyphReport, { chars: PUA, font: heading.font, size: heading.size });
  details.glyphs = report;
  details.pua = pua.glyphs;
  try {
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: '[data-zh-font-check]' });
    details.platform_fonts = (await cdp.send('CSS.getPlatformFontsForNode', { nodeId })).fonts;
    await cdp.detach();
  } catch (err) {
    details.platform_fonts = `unavailable: ${err.message}`.slice(0, 200);
  }
  const tofu = report.glyphs.filter((g) => g.tofu);
  log(`H1 '${heading.text}' in ${heading.font}: ${han.length} Han characters, advances ` +
    `${[...new Set(report.glyphs.map((g) => g.width_em))].join('/')} em, tofu: ${tofu.length}; ` +
    `private-use characters called tofu: ${pua.glyphs.filter((g) => g.tofu).length} of ${PUA.length}; ` +
    `fonts used: ${JSON.stringify(details.platform_fonts)}`);
  if (opts.noCjkFontconfig) {
    // The same function in a Chromium that sees no Chinese font: the heading's characters must come out as tofu.
    bare = await chromium.launch({ executablePath: opts.chromium, headless: true, args: CHROMIUM_FLAGS,
      env: { ...process.env, FONTCONFIG_FILE: opts.noCjkFontconfig } });
    const plain = await bare.newPage();
    await plain.setContent('<!doctype html><meta charset="utf-8"><p>.</p>');
    details.no_cjk_font = (await plain.evaluate(glyphReport, { chars: han, font: heading.font, size: heading.size })).glyphs;
    await bare.close();
    bare = null;
  }
  if (pua.glyphs.some((g) => !g.tofu)) {
    throw new CheckFailed(stage, `the glyph check cannot see tofu: private-use characters it should call tofu were ` +
      `called glyphs: ${JSON.stringify(pua.glyphs.filter((g) => !g.tofu))}`);
  }
  if (tofu.length) {
    throw new CheckFailed(stage, `the H1 '${heading.text}' is drawn with tofu (no Chinese font?) for ${tofu.length} ` +
      `of ${han.length} Han characters: ${describe(tofu)}; font ${heading.font}`);
  }
  mark('checked_menu_and_font');

  stage = 'shot';
  await shot(page, '1-notebook');

  if (opts.figure) {
    stage = 'figure';
    const seen = await waitFor(page, `cell ${opts.figure.cell}'s figure`, 60000, async () => page.evaluate(
      async ({ panelSel, index }) => {
        const outer = document.querySelector(`${panelSel} .jp-WindowedPanel-outer`);
        const cell = document.querySelector(`${panelSel} .jp-Cell[data-windowed-list-index="${index}"]`);
        const img = cell?.querySelector('.jp-OutputArea-output img');
        if (!img) {
          if (outer) outer.scrollTop += outer.clientHeight * 0.8; // the notebook renders the cells in view only
          return { done: false, why: `cell ${index} ${cell ? 'has no image yet' : 'is not rendered yet'}` };
        }
        img.scrollIntoView({ block: 'center' });
        if (!img.complete || !img.naturalWidth) return { done: false, why: 'the image is still loading' };
        const base64 = img.src.replace(/^data:image\/[a-z]+;base64,/, '');
        const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(base64));
        const sha256 = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
        return { done: true, width: img.naturalWidth, height: img.naturalHeight, sha256 };
      }, { panelSel: PANEL, index: opts.figure.cell }));
    details.figure = { width: seen.width, height: seen.height, sha256: seen.sha256 };
    log(`cell ${opts.figure.cell}: a ${seen.width}x${seen.height} figure, sha256 ${seen.sha256.slice(0, 12)}`);
    if (seen.sha256 !== opts.figure.sha256) {
      throw new CheckFailed(stage, `cell ${opts.figure.cell} shows another image than the stored figure ` +
        `(sha256 ${seen.sha256.slice(0, 12)}, stored ${opts.figure.sha256.slice(0, 12)})`);
    }
    await page.waitForTimeout(500);
    await shot(page, '3-figure');
  }

  stage = 'link';
  details.links = [];
  let shotSolution = false;
  for (const link of opts.links) {
    if ((await currentTab(page)) !== link.lesson.split('/').pop()) await openNotebook(page, link.lesson);
    // JupyterLab renders the link with an absolute href (/files/<target>?_xsrf=...#cell-id=...): find it by the
    // path and fragment it resolves to.
    // Markdown cells are rendered, and their links resolved, asynchronously: wait for it.
    const findLink = () => page.evaluate(({ panelSel, target, fragment }) => {
      const anchors = [...document.querySelectorAll(`${panelSel} .jp-RenderedMarkdown a[href]`)].filter((a) => {
        const url = new URL(a.href, location.href);
        return decodeURIComponent(url.pathname).endsWith(`/${target}`) && decodeURIComponent(url.hash) === fragment;
      });
      anchors.forEach((a) => a.setAttribute('data-zh-link', ''));
      return anchors.length;
    }, { panelSel: PANEL, target: link.target, fragment: `#${link.href.split('#')[1]}` });
    try {
      await waitFor(page, 'the link', 15000, async () => ({ done: (await findLink()) > 0 }));
    } catch {
      throw new CheckFailed(stage, `${link.lesson} shows no link to ${link.href} (to /${link.target}) within 15 s`);
    }
    const anchor = page.locator(`${PANEL} a[data-zh-link]`).first();
    await anchor.scrollIntoViewIfNeeded();
    log(`clicking ${link.href} in ${link.lesson}`);
    const popups = [];
    const onPage = (p) => popups.push(p);
    browser.context.on('page', onPage);
    await anchor.click();
    const name = link.target.split('/').pop();
    await waitFor(page, `${name} to open in JupyterLab`, 30000, async () => {
      if (popups.length) {
        throw new CheckFailed(stage, `${link.lesson}: the link ${link.href} opened a new browser tab (${popups[0].url()
          .replace(opts.token, '<token>')}) instead of the notebook in JupyterLab`);
      }
      const tab = await currentTab(page);
      return { done: tab === name && (await notebookView(page, link.cell)) !== null, why: `current tab ${tab}` };
    });
    browser.context.off('page', onPage);
    await page.evaluate(() => document.querySelectorAll('[data-zh-link]').forEach((a) => a.removeAttribute('data-zh-link')));
    // Settled: the same view three times in a row, a quarter second apart, after at least 1.5 s; while the target
    // cell is not rendered, after at least 10 s (on a loaded machine JupyterLab can sit at the top that long before
    // it scrolls to the fragment).
    const opened = Date.now();
    let same = 0;
    let previous = '';
    const settled = await waitFor(page, `${name} to stop scrolling`, 30000, async () => {
      const view = await notebookView(page, link.cell);
      const key = JSON.stringify(view);
      same = key === previous ? same + 1 : 0;
      previous = key;
      const waited = Date.now() - opened;
      return { done: same >= 3 && waited > (view?.cell ? 1500 : 10000), view, why: key };
    });
    const failure = linkFailure(link, settled.view);
    details.links.push({ href: link.href, expect: link.expect, view: settled.view, failure });
    log(`${link.href}: scrollTop ${settled.view.scrollTop}, cell ${link.cell} ${JSON.stringify(settled.view.cell)}` +
      ` -> ${failure ?? 'scrolled to the cell'}`);
    if (link.expect && failure) throw new CheckFailed(stage, `${link.lesson}: the link ${link.href}: ${failure}`);
    if (link.expect && !shotSolution) {
      await shot(page, '2-solution');
      shotSolution = true;
    }
    await page.locator(`${CURRENT_TAB} .lm-TabBar-tabCloseIcon`).click();
    await waitFor(page, `${name} to close`, 10000, async () => {
      // Opening a notebook may mark it changed (the kernel fills in its metadata): discard, do not save.
      const discard = page.locator('.jp-Dialog .jp-Dialog-button.jp-mod-warn');
      if (await discard.count()) await discard.first().click();
      const tab = await currentTab(page);
      return { done: tab !== name, why: `current tab ${tab}` };
    });
  }
  mark('links_followed');
  return 'all checks passed';
}, { cleanup: async () => { if (bare) await bare.close(); } });
