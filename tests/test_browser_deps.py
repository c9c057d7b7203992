"""`make test` away from Debian or root: the browser tests drive Debian's Chromium where there is one, else
Playwright's own; with neither, one line and a stop (never a silent skip)."""
import os, re, subprocess, sys
from pathlib import Path

import browser

ROOT = Path(__file__).resolve().parents[1]


def run_finder(tmp_path, debian: str) -> subprocess.CompletedProcess:
    "tests/browser.py as `make browser-deps` runs it, with Debian's browser at `debian` and no Playwright download."
    code = f'import sys, browser; browser.DEBIAN = {debian!r}; sys.exit(browser.main())'
    env = os.environ | {'PLAYWRIGHT_BROWSERS_PATH': str(tmp_path/'none'), 'PYTHONPATH': str(ROOT/'tests')}
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env)


def test_debian_chromium_first(tmp_path):
    fake = tmp_path/'chromium'; fake.write_text('')
    r = run_finder(tmp_path, str(fake))
    assert r.returncode == 0 and r.stdout.strip() == str(fake)


def test_neither_says_so_in_one_line_and_fails(tmp_path):
    r = run_finder(tmp_path, str(tmp_path/'missing'))
    assert r.returncode == 1 and r.stdout == ''
    assert r.stderr.strip() == browser.MISSING and '\n' not in r.stderr.strip()
    assert "apt-get install chromium" in r.stderr and 'python -m playwright install chromium' in r.stderr


def test_make_falls_back_to_playwright_and_stops_without_a_browser():
    recipe = re.search(r'^browser:.*?\n((?:\t.*\n)+)', (ROOT/'Makefile').read_text(), re.M)[1]
    lines = recipe.splitlines()
    assert 'apt-get install' in recipe and 'sudo -n true' in recipe  # Debian's, without a password prompt
    assert '-m playwright install chromium' in recipe  # else Playwright's download
    assert lines[-1].strip() == '@$(BIN)/python tests/browser.py >/dev/null'  # its one line on stderr, and make stops
    assert 'test-py: install browser-deps' in (ROOT/'Makefile').read_text()
    assert 'browser-deps: install browser' in (ROOT/'Makefile').read_text()  # the docs use `browser` alone
