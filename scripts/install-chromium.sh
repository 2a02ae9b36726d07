#!/usr/bin/env bash
# Debian's Chromium for the UI test (tests/test_ui.py drives it headless through Playwright).
# Needs root and apt-get; without them the UI test is skipped and says why.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium: not root or no apt-get; tests/test_ui.py will be skipped" >&2
    exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null \
    || echo "install-chromium: apt-get install chromium failed; tests/test_ui.py will be skipped" >&2
