"""The app's extras in a real browser (headless Chromium, see tests/browser.py): an example photo answered in one
click, the "show why" switch drawing the heatmap, a photo dropped on the page or pasted, and the "Wrong breed?"
control: absent, with the page saying photos are not stored, when collecting is off (nothing is written); present
when the app runs with `collect`, where a correction lands in the folder and a file that is not a photo never does.
Screenshots go to artifacts/screenshots/."""
import base64, csv, shutil
from pathlib import Path

import pytest

from cat_classifier.testing import make_toy_images, running_app

from browser import MISSING, find_chromium
from test_app_browser import ANSWER_MS, READY_MS, cards, shot, upload

pytestmark = pytest.mark.skipif(find_chromium() is None, reason=MISSING + ' (or run `make browser-deps`)')


@pytest.fixture(scope='module')
def project(tmp_path_factory):
    "Toy photos, an example list naming one of them, and a settings.ini that points the app at it."
    root = tmp_path_factory.mktemp('extras')
    photos = make_toy_images(root/'photos', n=2, seed=21)
    (root/'examples').mkdir()
    shutil.copy(photos/'red_circle'/'red_circle_000.jpg', root/'examples'/'red.jpg')
    (root/'examples'/'examples.csv').write_text('file,label,credit\nred.jpg,red_circle,drawn by 13_testing (CC0)\n')
    ini = Path(__file__).resolve().parents[1]/'settings.ini'
    (root/'settings.ini').write_text(ini.read_text().replace('examples_path = examples',
                                                             f'examples_path = {root/"examples"}'))
    return root, photos


def open_page(browser, url):
    page = browser.new_page(viewport={'width': 1100, 'height': 900})
    page.goto(url, timeout=READY_MS)
    page.wait_for_selector('.cat-upload', timeout=READY_MS)
    return page


@pytest.fixture(scope='module')
def off(project, toy_model, browser):
    "The app as it starts by default: not collecting. Its page, and the files of the project before it ran."
    root, _ = project
    before = sorted(p for p in root.rglob('*'))
    with running_app(toy_model, timeout=READY_MS / 1000, pool_size=0, settings=str(root/'settings.ini')) as app:
        page = open_page(browser, app.url)
        yield page, before
        page.close()


def test_an_example_is_one_click_from_its_verdict(off):
    page, _ = off
    assert 'No cat photo at hand? Try one of these' in page.locator('.cat-examples').inner_text()
    assert 'drawn by 13_testing (CC0)' in page.locator('.cat-examples').inner_text()
    page.click('.cat-example')
    card = cards(page, ['red.jpg']).first
    assert card.locator('.cat-verdict').count() == 1 and card.locator('.cat-bar').count() == 3
    assert page.locator('.cat-why-map').count() == 0  # "show why" is off by default


def test_show_why_draws_the_heatmap_and_hides_it(off):
    page, _ = off
    page.click('.cat-why-toggle input')
    page.wait_for_selector('img.cat-why-map', timeout=ANSWER_MS)
    assert page.locator('.cat-result img.cat-why-map').evaluate('e => e.naturalWidth') > 0
    shot(page, 'app-why.png')
    page.click('.cat-why-toggle input')
    page.wait_for_selector('.cat-why', state='hidden', timeout=ANSWER_MS)


def drop(page, f: Path, event: str):
    "Drop the file `f` on the page, or paste it (`event` 'drop' or 'paste'), as a browser would deliver it."
    page.evaluate("""([name, b64, event]) => {
        const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], name, {type: 'image/jpeg'}));
        const e = event === 'drop' ? new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true})
                                   : new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true});
        document.querySelector('.cat-results').dispatchEvent(e);
    }""", [f.name, base64.b64encode(f.read_bytes()).decode(), event])


def test_a_dropped_or_pasted_photo_is_uploaded(off, project):
    page, _ = off
    _, photos = project
    for event, f in [('drop', photos/'green_square'/'green_square_000.jpg'),
                     ('paste', photos/'blue_triangle'/'blue_triangle_001.jpg')]:
        page.wait_for_selector('.cat-upload:not([disabled])', timeout=ANSWER_MS)
        drop(page, f, event)
        assert cards(page, [f]).first.locator('.cat-verdict').count() == 1, event


def test_not_collecting_says_so_and_writes_nothing(off, project):
    page, before = off
    root, photos = project
    assert 'They are not stored.' in page.locator('.cat-intro').inner_text()
    upload(page, photos/'red_circle'/'red_circle_001.jpg')
    assert page.locator('.cat-correct').count() == 0
    assert sorted(p for p in root.rglob('*')) == before


def test_collecting_keeps_a_correction_and_never_a_bad_file(project, toy_model, browser, tmp_path):
    root, photos = project
    kept = tmp_path/'kept'
    with running_app(toy_model, timeout=READY_MS / 1000, pool_size=0, settings=str(root/'settings.ini'),
                     collect=str(kept)) as app:
        page = open_page(browser, app.url)
        assert 'except a photo you correct with “Wrong breed?”: that one is kept' in page.locator('.cat-intro').inner_text()
        (tmp_path/'notes.jpg').write_text('Shopping list: cat food\n')
        cards_ = upload(page, photos/'green_square'/'green_square_001.jpg', tmp_path/'notes.jpg')
        assert cards_.nth(1).locator('.cat-correct').count() == 0  # a file that is not a photo: nothing to keep
        card = cards_.first
        card.locator('.cat-correct-pick select').select_option(label='blue triangle')
        card.locator('.cat-correct-send').click()
        page.wait_for_function('document.querySelector(".cat-correct-said").innerText.includes("kept as a blue triangle")',
                               timeout=ANSWER_MS)
        shot(page, 'app-collect.png')
        page.close()
    rows = list(csv.DictReader(open(kept/'corrections.csv')))
    assert [(r['visitor'], Path(r['file']).parent.name) for r in rows] == [('blue_triangle', 'blue_triangle')]
    assert [p.parent.name for p in kept.rglob('*.jpg')] == ['blue_triangle']
