"""How long the app takes, in a real browser (headless Chromium): from starting the server to the widgets on
screen, and from choosing a photo to reading its verdict. Median over --runs fresh servers.

    .venv/bin/python benchmarks/bench_app.py [--model PATH] [--image PHOTO] [--runs 3]

Model: --model, else the shipped one (settings model_path) if there is one, else a toy model trained on the
spot. Photo: --image, else scikit-image's Chelsea (451 × 300 JPEG).
"""
import argparse, os, statistics, sys, tempfile, time, warnings
from pathlib import Path

CHROMIUM = '/usr/bin/chromium'
ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--no-first-run', '--disable-sync', '--disable-quic']


def one_run(model: Path, image: Path, browser) -> tuple[float, float]:
    from cat_classifier.host import running_app
    start = time.perf_counter()
    with running_app(model, timeout=300) as app:
        page = browser.new_page()
        page.goto(app.url, timeout=300_000)
        page.wait_for_selector('.cat-upload', timeout=300_000)
        ready = time.perf_counter() - start
        with page.expect_file_chooser() as fc: page.click('.cat-upload')
        t = time.perf_counter()
        fc.value.set_files(str(image))
        page.wait_for_selector('.cat-verdict, .cat-error', timeout=300_000)
        answer = time.perf_counter() - t
        print(f'  ready {ready:6.1f} s   answer {answer:5.2f} s   {page.inner_text(".cat-results").splitlines()[1]}', flush=True)
        page.close()
    return ready, answer


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', help='model file (default: the shipped one, else a toy model)')
    p.add_argument('--image', help='photo to upload (default: scikit-image\'s Chelsea)')
    p.add_argument('--runs', type=int, default=3)
    a = p.parse_args(argv)
    warnings.simplefilter('ignore')
    from cat_classifier.core import load_settings
    from cat_classifier.predict import make_toy_model
    tmp = Path(tempfile.mkdtemp(prefix='bench-app-'))
    shipped = load_settings().model_path
    model = Path(a.model) if a.model else shipped if shipped.is_file() else make_toy_model(tmp/'toy.pkl')
    image = Path(a.image) if a.image else tmp/'chelsea.jpg'
    if not a.image:
        from PIL import Image
        from skimage import data
        Image.fromarray(data.chelsea()).save(image, quality=90)
    print(f'model {model} ({model.stat().st_size/2**20:.0f} MB), photo {image.name}, {a.runs} runs, {os.cpu_count()} CPUs, '
          f'load average {os.getloadavg()[0]:.1f}', flush=True)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        times = [one_run(model, image, browser) for _ in range(a.runs)]
        browser.close()
    ready, answer = zip(*times)
    print(f'median: server start to widgets ready {statistics.median(ready):.1f} s; upload to verdict {statistics.median(answer):.2f} s')


if __name__ == '__main__':
    sys.exit(main())
