"""Which Chromium the browser tests and `make bench` drive: Debian's where it is installed (what the tests use
on the project's machines), else the one Playwright downloads (`python -m playwright install chromium`).

    python tests/browser.py     # prints the browser's path, or one line saying there is none (status 1)
"""
import sys
from pathlib import Path

DEBIAN = '/usr/bin/chromium'
ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--no-first-run', '--disable-sync', '--disable-quic']
MISSING = ("no Chromium for the browser tests: install Debian's (`apt-get install chromium`) or, online, "
           "Playwright's (`python -m playwright install chromium`)")


def find_chromium() -> str|None:
    "The path of the Chromium to drive, or None if there is none."
    if Path(DEBIAN).exists(): return DEBIAN
    try:
        from playwright.sync_api import sync_playwright
        with sync_playwright() as p: path = p.chromium.executable_path
    except Exception: return None
    return path if path and Path(path).exists() else None


def launch(playwright):
    "Start the Chromium that `find_chromium` names, headless."
    return playwright.chromium.launch(executable_path=find_chromium(), args=ARGS)


def main() -> int:
    "Print the browser's path, or say in one line that there is none (status 1)."
    path = find_chromium()
    print(path or MISSING, file=sys.stdout if path else sys.stderr)
    return 0 if path else 1


if __name__ == '__main__':
    sys.exit(main())
