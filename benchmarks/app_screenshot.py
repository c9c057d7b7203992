"""Screenshots of the app for the README and the docs, made the way a visitor sees the page: the app served as
`cat-classifier app` serves it, in headless Chromium (see tests/browser.py), "Show why" switched on and an example
photo clicked, then the verdict with its heatmap captured.

    .venv/bin/python benchmarks/app_screenshot.py [--model PATH] [--example Persian] [--out docs/images/app-why.png]

`why_screenshot` is the reusable part (`make screenshots` can call it); the model defaults to the shipped one.
"""
import argparse, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tests'))
from browser import launch  # noqa: E402

READY_S = 900  # the model process builds its runtime with torch at its start: slow on a busy machine


def why_screenshot(out: Path|str, model: Path|str|None=None, example: str='Persian', width: int=900) -> Path:
    "Serve the app, switch on 'Show why', click the example labelled `example`, save the page's top as PNG `out`."
    from playwright.sync_api import sync_playwright
    from cat_classifier.testing import running_app
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with running_app(model, timeout=READY_S, pool_size=0) as app, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={'width': width, 'height': 1000}, device_scale_factor=1)
        page.goto(app.url, timeout=READY_S * 1000)
        page.wait_for_selector('.cat-example', timeout=READY_S * 1000)
        page.click('.cat-why-toggle input')
        page.click(f'.cat-example:has-text("{example.replace("_", " ")}")')
        page.wait_for_selector('img.cat-why-map', timeout=READY_S * 1000)
        page.wait_for_function('[...document.querySelectorAll("img")].every(i => i.complete)')
        # From the title to the result tile: what a visitor sees after the click, without the model's card below.
        top = page.locator('h1').bounding_box()
        tile = page.locator('.cat-result').first.bounding_box()
        page.screenshot(path=str(out), clip=dict(x=0, y=max(0, top['y'] - 10), width=width,
                                                 height=tile['y'] + tile['height'] + 10 - max(0, top['y'] - 10)))
        browser.close()
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--model', help='model file (default: the shipped one)')
    p.add_argument('--example', default='Persian', help='the example photo to click, by its label')
    p.add_argument('--out', default=str(ROOT/'docs'/'images'/'app-why.png'), help='PNG to write')
    a = p.parse_args()
    print(why_screenshot(a.out, a.model, a.example))
    return 0


if __name__ == '__main__':
    sys.exit(main())
