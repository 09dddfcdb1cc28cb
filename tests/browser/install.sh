#!/usr/bin/env bash
# Installs what the browser test (tests/browser) needs, or says clearly why it cannot.
#
#   bash tests/browser/install.sh
#
# Needs: Debian's chromium and chromium-driver (apt-get, as root or with passwordless sudo), a Chinese font
# (fonts-wqy-microhei, with fontconfig's fc-list), Node.js >= 18 with npm, and playwright-core from npm (`npm ci`,
# the version pinned in package-lock.json). No browser is ever downloaded: the test drives /usr/bin/chromium (or
# $COURSE_CHROMIUM).
#
# Exit status:  0  ready: run  python -m pytest -m browser tests/browser
#               3  SKIP: something could not be installed here; the reason is printed on a line starting
#                  with "SKIP browser test:" (a caller such as .ci/run reports it and goes on)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
chromium="${COURSE_CHROMIUM:-/usr/bin/chromium}"
SKIP=3

skip() { echo "SKIP browser test: $*" >&2; exit "$SKIP"; }
say() { echo "==> browser test: $*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"
  else return 126
  fi
}

# apt_install PACKAGE...: returns 0 when installed, else prints why and returns non-zero.
updated=""
apt_install() {
  command -v apt-get >/dev/null || { echo "no apt-get on this machine: install $* with your package manager" >&2; return 1; }
  as_root true || { echo "not root and no passwordless sudo: install $* yourself (apt-get install $*)" >&2; return 1; }
  say "apt-get install $*"
  if [ -z "$updated" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
      || { echo "apt-get update failed (no access to the Debian package mirror?)" >&2; return 1; }
    updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
    || { echo "apt-get install $* failed" >&2; return 1; }
}

# 1. Chromium and its driver, from Debian.
if [ ! -x "$chromium" ] || ! command -v chromedriver >/dev/null; then
  if [ -n "${COURSE_CHROMIUM:-}" ] && [ ! -x "$chromium" ]; then
    skip "COURSE_CHROMIUM=$chromium is not an executable"
  fi
  apt_install chromium chromium-driver || skip "could not install chromium and chromium-driver (see above)"
fi
[ -x "$chromium" ] || skip "no Chromium at $chromium after installing (set COURSE_CHROMIUM to its path)"
chromium_version="$("$chromium" --version 2>/dev/null | head -n 1)"
[ -n "$chromium_version" ] || skip "$chromium does not start (\`$chromium --version\` printed nothing)"

# A Chinese font: test_chinese_edition.py checks that the Chinese edition's headings are drawn with Chinese glyphs,
# not tofu boxes, which no machine without one can pass (so the whole browser test is skipped without it).
chinese_font() { command -v fc-list >/dev/null && [ -n "$(fc-list :lang=zh 2>/dev/null)" ]; }
if ! chinese_font; then
  apt_install fonts-wqy-microhei fontconfig \
    || skip "could not install a Chinese font (fonts-wqy-microhei; see above): the Chinese edition's check needs one"
fi
chinese_font || skip "no Chinese font after installing fonts-wqy-microhei (\`fc-list :lang=zh\` lists none)"

# 2. Node.js and npm.
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if ! command -v node >/dev/null || ! command -v npm >/dev/null || [ "$(node_major)" -lt 18 ]; then
  apt_install nodejs npm || skip "could not install Node.js and npm (see above)"
fi
command -v node >/dev/null && command -v npm >/dev/null || skip "Node.js or npm is missing"
[ "$(node_major)" -ge 18 ] || skip "Node.js $(node --version) is too old: playwright-core needs 18 or newer"

# 3. playwright-core, exactly as locked (it ships no browser and runs no install script).
say "npm ci (playwright-core, from package-lock.json)"
(cd "$here" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) \
  || skip "npm ci failed in tests/browser (no access to the npm registry?)"
playwright_version="$(cd "$here" && node -p 'require("playwright-core/package.json").version' 2>/dev/null)" \
  || skip "playwright-core does not load after npm ci"

say "ready: $chromium_version, Chinese font $(fc-list :lang=zh family | head -n 1 | cut -d, -f1), Node.js $(node --version), playwright-core $playwright_version"
say "run: python -m pytest -m browser tests/browser"
