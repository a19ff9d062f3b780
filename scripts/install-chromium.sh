#!/usr/bin/env sh
# Make headless Chromium available for the HTML-report test (tests/export/test_report_browser.py).
# Idempotent: does nothing when a chromium binary is already on the machine.
set -eu

for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then
        echo "install-chromium: $(command -v "$candidate") is already installed"
        exit 0
    fi
done

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium: installing chromium with apt-get"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-dejavu-core
    exit 0
fi

cat <<'MSG'
install-chromium: chromium is not installed and this script cannot install it
(it needs root and apt-get). Install it yourself, for example:
    sudo apt-get update && sudo apt-get install -y chromium
or set BLETHER_CHROMIUM=/path/to/chrome. Without it the HTML-report browser test is skipped.
MSG
exit 0
