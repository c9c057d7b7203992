"""The documentation site: a quick build (two notebooks; `make docs` builds and checks all of them) opened in Chromium
by tests/site_check.py, a check that does fail when a page lost a picture or a cell, and the README's first screen."""
import json, os, re, shutil, subprocess, sys
from pathlib import Path

import pytest

from browser import MISSING, find_chromium
from site_check import check_site, notebook_problems, stored_pictures

ROOT = Path(__file__).resolve().parents[1]
MKDOCS = Path(sys.executable).parent/'mkdocs'
QUICK = '02_data 05_evaluate'   # two notebooks that store pictures (show_batch, the confusion matrices)


@pytest.fixture(scope='module')
def site(tmp_path_factory, monkeypatch_module):
    "The site built as `make docs` builds it, with two of the notebooks."
    out = tmp_path_factory.mktemp('site')
    monkeypatch_module.setenv('CAT_DOCS_NOTEBOOKS', QUICK)
    r = subprocess.run([str(MKDOCS), 'build', '--strict', '--site-dir', str(out)], cwd=ROOT, capture_output=True,
                       text=True, timeout=600, env=os.environ | {'NO_MKDOCS_2_WARNING': '1'})
    assert r.returncode == 0, r.stderr[-3000:]
    return out


@pytest.fixture(scope='module')
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp: yield mp


def test_the_quick_build_has_its_pages(site):
    assert sorted(p.name for p in (site/'notebooks').iterdir()) == QUICK.split()
    assert (site/'index.html').exists() and (site/'benchmarks'/'index.html').exists()
    api = sorted(p.name for p in (site/'api').iterdir())
    assert 'evaluate' in api and '_modidx' not in api and len(api) == len(list((ROOT/'cat_classifier').glob('[!_]*.py')))
    evaluate = (site/'api'/'evaluate'/'index.html').read_text()
    assert 'plot_confusion' in evaluate and '05_evaluate' in evaluate  # a docstring's function, and its notebook
    home = (site/'index.html').read_text()
    assert 'The pipeline in six steps' in home and 'mybinder.org/badge_logo.svg' not in home


@pytest.mark.skipif(find_chromium() is None, reason=MISSING + ' (or run `make browser-deps`)')
def test_the_site_renders_in_chromium(site, monkeypatch_module):
    problems, seen = check_site(site)
    assert problems == []
    assert seen == dict(notebooks=2, opened=['', 'notebooks/02_data/', 'notebooks/05_evaluate/'])


def test_the_check_finds_a_lost_picture_and_a_lost_cell(site, tmp_path):
    broken = tmp_path/'site'
    shutil.copytree(site/'notebooks', broken/'notebooks')
    page = broken/'notebooks'/'05_evaluate'/'index.html'
    html = page.read_text()
    page.write_text(re.sub(r'<img\s[^>]*src="data:image/[^"]*"[^>]*>', '', html, count=1)
                    .replace('class="jp-Cell-inputWrapper', 'class="x', 1))
    (broken/'notebooks'/'02_data'/'index.html').unlink()
    nb = json.loads((site/'notebooks'/'05_evaluate'/'05_evaluate.ipynb').read_text())
    cells, pictures = len(nb['cells']), stored_pictures(nb)
    assert notebook_problems(site, QUICK.split()) == []
    assert notebook_problems(broken, QUICK.split()) == [
        'notebooks/02_data: no page', f'notebooks/05_evaluate: {cells - 1} of {cells} cells on the page',
        f'notebooks/05_evaluate: {pictures - 1} of {pictures} pictures']


def test_nbdev_directives_are_not_shown():
    sys.path.insert(0, str(ROOT/'docs'))
    from hooks import for_the_site
    nb = dict(cells=[dict(cell_type='code', source='#| default_exp core', outputs=[]),
                     dict(cell_type='code', source='#| export\ndef f(): pass', outputs=[]),
                     dict(cell_type='markdown', source='# Title')])
    assert [c['source'] for c in for_the_site(nb)['cells']] == ['def f(): pass', '# Title']


def test_the_readme_shows_the_app_and_the_two_commands_first():
    lines = (ROOT/'README.md').read_text().splitlines()
    first = '\n'.join(lines[:40])
    shot = re.search(r'src="(docs/screenshots/[^"]+\.png)"', first)
    assert shot and (ROOT/shot[1]).exists() and (ROOT/shot[1]).stat().st_size < 100_000
    assert re.search(r'^make app\b', first, re.M) and re.search(r'^make test\b', first, re.M)
    assert len(lines) <= 150
    for target in re.findall(r'\]\(((?!https?:|#)[^)]+)\)|src="([^"]+)"', '\n'.join(lines)):
        path = next(t for t in target if t).split('#')[0]
        assert (ROOT/path).exists(), path
