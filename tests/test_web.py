"""The static page of `cat-classifier export --web` in Chromium, served by `python -m http.server` as any static
host serves it: it gives `predict`'s answers (every probability, the verdicts, the same view pixels), says what is
wrong with a bad file in the same words as the app, and works offline once loaded."""
import re, sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cat_classifier.app import verdict
from cat_classifier.core import InputError
from cat_classifier.images import load_image
from cat_classifier.runtime import Thresholds, chw
from cat_classifier.testing import awkward_files, make_toy_images

from browser import MISSING, find_chromium
from conftest import cli
from web_page import choose, open_page, served, views

pytestmark = pytest.mark.skipif(find_chromium() is None, reason=MISSING + ' (or run `make browser-deps`)')

FLOAT_TOL = 1e-4  # float32 graphs on the same pixels: onnxruntime-web and onnxruntime differ in float rounding only
# int8 weights, on the toy photos: measured 2e-4 at most. Not on the noise images of `awkward_files`, on which the toy
# model (48 drawings, a few epochs) is at its least stable; benchmarks/bench_web.py measures real photos.
INT8_TOL = 0.01


@pytest.fixture(scope='module')
def sites(toy_project, learn, tmp_path_factory):
    "The toy model's page as the command writes it (int8 weights), and with float32 weights: (int8, float)."
    from cat_classifier.predict import to_runtime
    from cat_classifier.runtime import Thresholds
    from cat_classifier.web import PageOptions, export_web
    root, ini, model = toy_project
    d = tmp_path_factory.mktemp('web')
    out = cli('export', '--web', d/'int8', '--model', model, settings=ini).stdout
    assert 'wrote the web page of toy.pkl' in out, out
    return d/'int8', export_web(to_runtime(learn), d/'float', PageOptions(thresholds=Thresholds(0.6)), quantize=False)


@pytest.fixture(scope='module')
def photos(tmp_path_factory):
    "Toy photos, the readable awkward files (grey 16-bit, CMYK, palette, alpha, GIF, EXIF-rotated) and sizes to crop."
    d = tmp_path_factory.mktemp('photos')
    files = sorted(make_toy_images(d/'toy', n=2, seed=11).rglob('*.jpg'))
    files += [f for f, msg in awkward_files(d/'awkward').items() if msg is None]
    rng = np.random.default_rng(3)
    for w, h in [(300, 200), (41, 57), (64, 64)]:  # shrink and crop, grow, already the breed model's size
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(d/f'{w}x{h}.png')
        files.append(d/f'{w}x{h}.png')
    return files


def expected(learn, files):
    from cat_classifier.predict import predict_images
    return predict_images(learn, [load_image(f) for f in files], thresholds=Thresholds(0.6, 0.1))


def test_same_answers_as_predict(sites, learn, photos, browser):
    "Every probability and verdict of the float page is predict's within FLOAT_TOL; the int8 page's within INT8_TOL."
    want = expected(learn, photos)
    vocab = list(learn.dls.vocab)
    for site, tol in zip(sites, (INT8_TOL, FLOAT_TOL)):
        with served(site) as url:
            ctx = browser.new_context()
            got = choose(open_page(ctx, url), photos)
            ctx.close()
        assert [g['name'] for g in got] == [f.name for f in photos]
        for f, g, w in zip(photos, got, want):
            if site == sites[0] and f.parent.parent.name != 'toy': continue
            assert g['error'] is None, (f.name, g['error'])
            probs = dict(zip(vocab, g['probs']))
            diffs = [abs(probs[label] - p) for label, p in w['top']] + [abs(g['cat'] - w['cat_probability'])]
            assert max(diffs) <= tol, (site.name, f.name, g, w)
            assert g['verdict'] == verdict(w, len(vocab)), (site.name, f.name, g['verdict'])


def test_same_views_as_runtime(sites, photos, browser):
    "The page's script cuts the very pixels `runtime.chw` cuts: decoding, orientation, crop and resize."
    with served(sites[1]) as url:
        ctx = browser.new_context()
        page = open_page(ctx, url)
        for size in (64, 224):  # the toy model's and the gate's: shrinking and growing
            for f, v in zip(photos, views(page, photos, size)):
                want = chw(load_image(f), size).astype(int).ravel()
                diff = np.abs(np.array(v) - want)
                # Measured: the same pixels for every file, JPEGs too (both decoders are libjpeg-turbo's).
                assert diff.max() <= (2 if f.suffix == '.jpg' else 0), (f.name, size, diff.max())
        ctx.close()


def test_bad_files_get_the_apps_messages(sites, browser, tmp_path):
    "Each file that `load_image` refuses gets one line on the page, in the same words, and a photo still works after."
    files = awkward_files(tmp_path/'awkward', max_bytes=10 * 2**20)
    bad = [f for f, msg in files.items() if msg]
    with served(sites[0]) as url:
        ctx = browser.new_context()
        page = open_page(ctx, url)
        got = choose(page, bad + [tmp_path/'awkward'/'photo.jpg'])
        ctx.close()
    for f, g in zip(bad, got):
        try:
            load_image(f, max_bytes=10 * 2**20)
            raise AssertionError(f'{f.name} should be refused')
        except InputError as e: msg = str(e)
        line = g['error'].split(': ', 1)[1]
        assert '\n' not in line and line.split()[:3] == msg.split()[:3], (f.name, line, msg)
    assert got[-1]['error'] is None and got[-1]['verdict']


def test_works_offline_once_loaded(sites, photos, browser):
    "After one visit, the page reloads and answers with the network cut: nothing is fetched to answer."
    with served(sites[0]) as url:
        ctx = browser.new_context()
        page = open_page(ctx, url)
        page.wait_for_function('navigator.serviceWorker.controller !== null', timeout=30_000)  # sw.js claims the page
        requests = []
        ctx.set_offline(True)
        page.on('requestfailed', lambda r: requests.append(r.url))
        page.reload()
        page.wait_for_selector('body[data-ready=true]', state='attached', timeout=60_000)
        got = choose(page, photos[:2])
        ctx.close()
    assert all(g['verdict'] for g in got), got
    assert requests == [], requests
