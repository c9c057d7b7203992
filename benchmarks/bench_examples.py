"""A visitor with no photo: from the click on an example to its verdict, and from switching on "Show why" to the
heatmap, in headless Chromium on the app as `cat-classifier app` serves it (shipped model unless --model).
Each time is taken by the page's own clock (the click and the moment the answer appears in the page). The
baseline, in the same run: the same photo uploaded through the button.

    .venv/bin/python benchmarks/bench_examples.py [--model PATH] [--rounds 3]

The last line is JSON.
"""
import argparse, json, os, statistics, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tests'))
from browser import launch  # noqa: E402

READY_S = 900  # the model process builds its runtime with torch at its start: slow on a busy machine
# Resolves when `selector` has `n` matches, with the page's clock at that moment.
WAIT = """([selector, n]) => new Promise(done => {
  const check = () => document.querySelectorAll(selector).length >= n && (done(performance.now()), true);
  if (!check()) new MutationObserver((_, o) => check() && o.disconnect()).observe(document.body, {childList: true, subtree: true, attributes: true});
})"""


def main() -> int:
    from playwright.sync_api import sync_playwright
    from cat_classifier.testing import running_app
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--model'); p.add_argument('--rounds', type=int, default=3)
    a = p.parse_args()
    out = dict(click_to_verdict_s=[], upload_to_verdict_s=[], why_s=[])
    with running_app(a.model, timeout=READY_S, pool_size=1, pool_fill_delay_s=1) as app, sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={'width': 1100, 'height': 900})
        page.goto(app.url, timeout=READY_S * 1000)
        page.wait_for_selector('.cat-example', timeout=READY_S * 1000)
        examples = page.locator('.cat-example')
        first = Path(ROOT/'examples'/'Persian.jpg')
        for r in range(a.rounds):
            for i in range(examples.count()):
                page.wait_for_selector('.cat-upload:not([disabled])')
                page.evaluate('() => document.querySelector(".cat-results").replaceChildren()')
                t0 = page.evaluate('() => performance.now()')
                examples.nth(i).click()
                out['click_to_verdict_s'].append((page.evaluate(WAIT, ['.cat-verdict', 1]) - t0) / 1000)
            page.wait_for_selector('.cat-upload:not([disabled])')
            page.evaluate('() => document.querySelector(".cat-results").replaceChildren()')
            with page.expect_file_chooser() as fc: page.click('.cat-upload')
            t0 = page.evaluate('() => performance.now()')
            fc.value.set_files(str(first))
            out['upload_to_verdict_s'].append((page.evaluate(WAIT, ['.cat-verdict', 1]) - t0) / 1000)
            t0 = page.evaluate('() => performance.now()')
            page.click('.cat-why-toggle input')
            out['why_s'].append((page.evaluate(WAIT, ['img.cat-why-map', 1]) - t0) / 1000)
            page.click('.cat-why-toggle input')
        browser.close()
    summary = {k: dict(median=round(statistics.median(v), 3), max=round(max(v), 3), n=len(v)) for k, v in out.items()}
    summary['load_average'] = os.getloadavg()[0]
    print(f"click on an example -> verdict: median {summary['click_to_verdict_s']['median']} s, at most "
          f"{summary['click_to_verdict_s']['max']} s ({summary['click_to_verdict_s']['n']} clicks); the same photo "
          f"uploaded: median {summary['upload_to_verdict_s']['median']} s; 'Show why' -> heatmap: median "
          f"{summary['why_s']['median']} s, at most {summary['why_s']['max']} s")
    print(json.dumps(summary))
    return 0


if __name__ == '__main__':
    sys.exit(main())
