"""The app in a real browser (headless Chromium driven by Playwright: Debian's, else Playwright's own, see
tests/browser.py): the page, an upload with its thumbnail, bars and verdict, every kind of bad file, each
with its message, after which a good photo still works, three pages at once sharing one model process,
and a model process killed between two uploads. Screenshots go to artifacts/screenshots/."""
import os, re, shutil, signal, warnings
from pathlib import Path

import pytest

from cat_classifier.app import verdict
from cat_classifier.images import load_image
from cat_classifier.predict import predict_image
from cat_classifier.testing import awkward_files, make_toy_images, running_app

from browser import MISSING, find_chromium
from conftest import model_processes, runtime_base

READY_MS = 180_000  # the model process builds its runtime with torch and fastai: slow on a busy two-core machine
ANSWER_MS = 120_000
SHOTS = Path(__file__).resolve().parents[1]/'artifacts'/'screenshots'

pytestmark = pytest.mark.skipif(find_chromium() is None, reason=MISSING + ' (or run `make browser-deps`)')


@pytest.fixture(scope='module')
def photos(tmp_path_factory):
    return make_toy_images(tmp_path_factory.mktemp('toy'), n=2, seed=11)


@pytest.fixture(scope='module')
def app(toy_model):
    "The app, served as `cat-classifier app` serves it (with a warm pool of one kernel)."
    with running_app(toy_model, timeout=READY_MS / 1000, pool_size=1, pool_fill_delay_s=1) as app: yield app


@pytest.fixture(scope='module')
def page(app, browser):
    "One page of the app, shared by the tests below in order."
    page = browser.new_page(viewport={'width': 1100, 'height': 900})
    page.goto(app.url, timeout=READY_MS)
    page.wait_for_selector('.cat-upload', timeout=READY_MS)
    yield page
    page.close()


def upload(page, *files):
    "Choose `files` in the upload button's file dialog, as a person would, and wait for a card per file."
    page.wait_for_selector('.cat-upload:not([disabled])', timeout=ANSWER_MS)
    with page.expect_file_chooser() as fc: page.click('.cat-upload')
    fc.value.set_files([str(f) for f in files])
    return cards(page, files)


def cards(page, files):
    "Wait until the cards name `files` (not the last upload's) and the button is free again; return the cards."
    page.wait_for_function('names => JSON.stringify([...document.querySelectorAll(".cat-results > * b")].map(b => b.innerText)) '
                           '=== JSON.stringify(names) && !document.querySelector(".cat-upload").disabled',
                           arg=[Path(f).name for f in files], timeout=ANSWER_MS)
    return page.locator('.cat-results > *')


def cli_verdict(model, f) -> str:
    "The verdict on `f` as the command line's prediction would put it."
    from cat_classifier.export import load_model
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return verdict(predict_image(load_model(model), load_image(f)), 3)


def shot(page, name: str):
    "Save a screenshot of the whole page (Voila scrolls inside a box, so the window grows to fit it first)."
    h = page.evaluate('Math.max(...[...document.querySelectorAll("*")].map(e => e.scrollHeight))')
    size = page.viewport_size
    page.set_viewport_size({'width': size['width'], 'height': max(size['height'], h + 40)})
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS/name)
    page.set_viewport_size(size)


def no_stderr_in_page(page):
    "Warnings or tracebacks printed by the notebook would show in the page as stderr output."
    return page.locator('[data-mime-type="application/vnd.jupyter.stderr"]').count() == 0


def test_page_renders(page):
    assert page.locator('h1').inner_text().startswith('Which cat breed is it?')
    assert page.locator('.cat-upload').inner_text().strip().startswith('Upload photos')
    intro = page.locator('.cat-intro').inner_text()
    assert 'JPEG, PNG, WebP, GIF, BMP or TIFF, up to 10 MB each' in intro
    about = page.locator('.cat-about').inner_text()
    assert 'About this model' in about and 'three breeds: blue triangle, green square and red circle' in about
    assert re.search(r'right about \d+\.\d% of \d+ photos it had never seen', about)  # the card's holdout figure
    body = page.inner_text('body')
    assert 'App().show()' not in body and 'import' not in body  # no code on show
    assert no_stderr_in_page(page)
    shot(page, 'app-start.png')


def test_upload_shows_thumbnail_bars_and_the_same_verdict_as_the_cli(page, photos, toy_model):
    f = photos/'red_circle'/'red_circle_000.jpg'
    card = upload(page, f).first
    assert card.evaluate('e => e.classList.contains("cat-result")')
    assert card.locator('.cat-thumb').evaluate('e => e.naturalWidth') > 0
    assert card.locator('.cat-bar').count() == 3 and card.locator('.cat-prob').count() == 3
    percents = [int(t.strip('%')) for t in card.locator('.cat-bar > :last-child').all_inner_texts()]
    assert percents == sorted(percents, reverse=True) and 97 <= sum(percents) <= 103
    assert card.locator('.cat-verdict').inner_text().strip() == cli_verdict(toy_model, f)
    shot(page, 'app-result.png')


def test_several_photos_at_once(page, photos):
    cards = upload(page, *sorted(photos.rglob('*_001.jpg')))
    assert cards.count() == 3 and page.locator('.cat-results .cat-result').count() == 3
    shot(page, 'app-several.png')


def test_each_bad_file_gets_its_message_then_a_good_photo_works(page, photos, tmp_path):
    awkward = awkward_files(tmp_path/'awkward', photo=load_image(photos/'green_square'/'green_square_000.jpg'))
    for f, msg in awkward.items():
        card = upload(page, f).first
        if msg is None: assert card.locator('.cat-verdict').count() == 1, f.name
        else:
            text = card.inner_text()
            assert f'{f.name}: {msg}' in text and 'Traceback' not in text, (f.name, text)
        if f.name in ('notes.jpg', 'bomb.png', 'huge.jpg'): shot(page, f'app-bad-{f.stem}.png')
    again = shutil.copy(photos/'blue_triangle'/'blue_triangle_000.jpg', tmp_path/'good-again.jpg')
    assert upload(page, again).first.locator('.cat-verdict').count() == 1
    assert no_stderr_in_page(page)


def test_all_bad_files_in_one_upload(page, photos, tmp_path):
    awkward = awkward_files(tmp_path/'awkward', photo=load_image(photos/'red_circle'/'red_circle_001.jpg'))
    cards = upload(page, *awkward)  # over 10 MB in one websocket message: above Tornado's default limit
    for i, (f, msg) in enumerate(awkward.items()):
        cls = cards.nth(i).evaluate('e => [...e.classList].find(c => c === "cat-result" || c === "cat-error")')
        assert cls == ('cat-result' if msg is None else 'cat-error'), f.name
    shot(page, 'app-all-bad.png')
    assert upload(page, photos/'red_circle'/'red_circle_001.jpg').first.locator('.cat-verdict').count() == 1
    assert no_stderr_in_page(page)


def test_an_upload_too_big_for_one_message_is_refused_in_the_page(page, photos, tmp_path):
    "Above the websocket limit the connection would drop for good; the page's guard stops it before it is read."
    big = []
    for i in (1, 2):
        with open(tmp_path/f'big{i}.jpg', 'wb') as f: f.truncate(60 * 2**20)  # sparse: no 120 MB on disk
        big.append(tmp_path/f'big{i}.jpg')
    page.wait_for_selector('.cat-upload:not([disabled])', timeout=ANSWER_MS)
    with page.expect_file_chooser() as fc: page.click('.cat-upload')
    fc.value.set_files([str(f) for f in big])
    msg = page.wait_for_selector('.cat-upload-refused', timeout=ANSWER_MS).inner_text()
    assert 'These files add up to 120 MB, more than the 100 MB that one upload can carry' in msg
    shot(page, 'app-too-big.png')
    assert upload(page, photos/'green_square'/'green_square_001.jpg').first.locator('.cat-verdict').count() == 1
    assert page.locator('.cat-upload-refused').count() == 0


def test_the_model_process_killed_between_two_uploads(app, page, photos, toy_model):
    f = photos/'blue_triangle'/'blue_triangle_001.jpg'
    assert upload(page, f).first.locator('.cat-verdict').inner_text().strip() == cli_verdict(toy_model, f)
    [pid] = model_processes(runtime_base(app.log))
    os.kill(pid, signal.SIGKILL)
    with page.expect_file_chooser() as fc: page.click('.cat-upload')
    fc.value.set_files(str(f))
    # The page says what is happening while the model process starts again, then gives the verdict.
    page.wait_for_function('document.querySelector(".cat-status").innerText.includes("The model is starting")', timeout=ANSWER_MS)
    card = cards(page, [f]).first
    assert card.locator('.cat-verdict').inner_text().strip() == cli_verdict(toy_model, f)
    assert len(model_processes(runtime_base(app.log))) == 1 and model_processes(runtime_base(app.log)) != [pid]
    assert no_stderr_in_page(page)


def test_three_pages_at_once_share_one_model_process(app, browser, photos, toy_model):
    files = [photos/'red_circle'/'red_circle_000.jpg', photos/'green_square'/'green_square_000.jpg', photos/'blue_triangle'/'blue_triangle_000.jpg']
    pages = [browser.new_page() for _ in files]
    for p in pages: p.evaluate('url => { window.location.href = url }', app.url)  # all three load together
    for p in pages: p.wait_for_selector('.cat-upload:not([disabled])', timeout=READY_MS)
    for p, f in zip(pages, files):
        with p.expect_file_chooser() as fc: p.click('.cat-upload')
        fc.value.set_files(str(f))
    for p, f in zip(pages, files):
        p.wait_for_selector('.cat-verdict', timeout=ANSWER_MS)
        assert p.locator('.cat-verdict').inner_text().strip() == cli_verdict(toy_model, f), f.name
    assert len(model_processes(runtime_base(app.log))) == 1
    for p in pages: p.close()
