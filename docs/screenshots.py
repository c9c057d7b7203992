"""Make the README's pictures in docs/screenshots/ again (`make screenshots`), after the app or a notebook changed.

    .venv/bin/python docs/screenshots.py [--model PATH] [--image PHOTO] [--out DIR]

It serves the app as `cat-classifier app` does (the shipped model, else --model), opens it in headless Chromium
(tests/browser.py), uploads an example photo (--image, else scikit-image's Chelsea, a tabby: a photo anyone can
make again) and saves each shot in SHOTS. A new shot is one function `shot_NAME(page, photo) -> the element
the shot ends with` (the page is photographed from its top down to that element) added to SHOTS: they run in
order, on one page. Pictures that a notebook stores (the contact
sheet that 04_clean draws) are taken from the notebook as it was last run: NOTEBOOK_PICTURES.
"""
from __future__ import annotations
import argparse, base64, io, json, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tests'))
from browser import launch  # noqa: E402

READY_MS, ANSWER_MS = 300_000, 180_000  # the model process starts with torch: slow on a busy two-core machine
WIDTH = 760                              # narrow enough to read in a README, wide enough for the page's layout


def upload(page, *photos: Path):
    "Choose `photos` in the upload button's file dialog, as a person would, and wait for their verdicts."
    page.wait_for_selector('.cat-upload:not([disabled])', timeout=ANSWER_MS)
    with page.expect_file_chooser() as chooser: page.click('.cat-upload')
    chooser.value.set_files([str(p) for p in photos])
    page.wait_for_function('n => document.querySelectorAll(".cat-results .cat-verdict").length >= n '
                           '&& !document.querySelector(".cat-upload").disabled', arg=len(photos), timeout=ANSWER_MS)


def shot_app_verdict(page, photo: Path):
    "The app after one upload: the photo, its verdict in a sentence and the top breeds as bars."
    upload(page, photo)
    return page.locator('.cat-results')


SHOTS = {'app-verdict.png': shot_app_verdict}
# file name: (notebook, a piece of the source of the cell whose picture it is)
NOTEBOOK_PICTURES = {'contact-sheet.png': ('04_clean', 'Image.open(sheets[')}


def notebook_picture(notebook: str, needle: str) -> bytes:
    "The PNG that the cell of `notebook` whose source holds `needle` stores as its output."
    nb = json.loads((ROOT/'notebooks'/f'{notebook}.ipynb').read_text())
    for cell in nb['cells']:
        if needle in ''.join(cell['source']):
            for out in cell.get('outputs', []):
                if 'image/png' in out.get('data', {}): return base64.b64decode(out['data']['image/png'])
    raise SystemExit(f'{notebook}: no stored picture in a cell with {needle!r}; run the notebook, then try again')


def example_photo(folder: Path) -> Path:
    "scikit-image's Chelsea the cat as a JPEG in `folder`: an example photo that ships with a package."
    from skimage import data
    from PIL import Image
    path = folder/'chelsea.jpg'
    Image.fromarray(data.chelsea()).save(path, quality=92)
    return path


def save_small(png: bytes, path: Path):
    "The screenshot as a PNG of at most 256 colours: a fraction of the bytes, and no visible difference here."
    from PIL import Image
    img = Image.open(io.BytesIO(png)).convert('RGB')
    img.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--model', help='the exported model to serve (default: the shipped one, settings model_path)')
    ap.add_argument('--image', type=Path, help='the photo to upload (default: scikit-image\'s Chelsea)')
    ap.add_argument('--out', type=Path, default=ROOT/'docs'/'screenshots')
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright
    from cat_classifier.testing import running_app
    args.out.mkdir(parents=True, exist_ok=True)
    for name, (notebook, needle) in NOTEBOOK_PICTURES.items():
        save_small(notebook_picture(notebook, needle), args.out/name)
        print(f'{args.out/name}: {(args.out/name).stat().st_size // 1024} KB, from {notebook}')
    with tempfile.TemporaryDirectory() as d, running_app(args.model, timeout=READY_MS / 1000, pool_size=1) as app, \
            sync_playwright() as p:
        photo = args.image or example_photo(Path(d))
        browser = launch(p)
        page = browser.new_page(viewport={'width': WIDTH, 'height': 600})
        page.goto(app.url, timeout=READY_MS)
        page.wait_for_selector('.cat-upload', timeout=READY_MS)
        for name, make in SHOTS.items():
            last = make(page, photo)
            # Voila scrolls inside a box: grow the window to the page's height so that the shot holds all of it.
            height = page.evaluate('Math.max(...[...document.querySelectorAll("*")].map(e => e.scrollHeight))')
            page.set_viewport_size({'width': WIDTH, 'height': height + 20})
            box = last.bounding_box()
            bottom = box['y'] + box['height'] + 12
            save_small(page.screenshot(clip={'x': 0, 'y': 0, 'width': WIDTH, 'height': bottom}), args.out/name)
            print(f'{args.out/name}: {(args.out/name).stat().st_size // 1024} KB')
        browser.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
