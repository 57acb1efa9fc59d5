#!/usr/bin/env bash
# Installs what the browser playback test (tests/integration/browser_playback.rs) needs, if
# missing: Debian's Chromium, and the pinned hls.js, dash.js and puppeteer-core of
# package-lock.json in scripts/browser/node_modules (npm ci). Node.js and npm must be present.
# Safe to run again: it does nothing when everything is present. Exits non-zero when it cannot
# install (no network, no apt, not root and no sudo); the test then skips.
set -euo pipefail
cd "$(dirname "$0")"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "browser setup: $tool is not installed" >&2
    exit 1
  fi
done

if ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q 'install ok installed' \
  || [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo -n"
  fi
  echo "browser setup: installing chromium" >&2
  install() {
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y \
      --no-install-recommends chromium
  }
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  if ! install; then
    echo "browser setup: apt install failed once; repairing and retrying" >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 -y --fix-broken install || true
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
    install
  fi
fi

# npm ls fails when a pinned package is missing or at another version than the lock file's.
if ! npm ls --depth=0 >/dev/null 2>&1; then
  echo "browser setup: npm ci (hls.js, dashjs, puppeteer-core)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
