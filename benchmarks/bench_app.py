"""What a crowd costs, in a real browser (headless Chromium): for 1 page and for 10 pages opened at once, the
time to the upload button and from upload to verdict, and the resident memory of each page's kernel, of the
model process and of everything the app runs; then the same crowd over plain HTTP, to tell the server's share
of the wait from the browser's. The baseline, measured in the same run: one page with no warm pool (its
kernel starts when the page is asked for).

    .venv/bin/python benchmarks/bench_app.py [--model PATH] [--image PHOTO] [--pages 10]

Model: --model, else the shipped one (settings model_path) if there is one, else a toy model trained on the
spot. Photo: --image, else scikit-image's Chelsea (451 × 300 JPEG). The last line is JSON.
"""
import argparse, json, os, re, sys, time, warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tests'))
from browser import launch  # noqa: E402
from conftest import kernel_pids, model_processes, runtime_base  # noqa: E402


def rss_mb(pid: int) -> float:
    "Resident memory of `pid` in MB (shared libraries counted in each process: a generous total)."
    m = re.search(r'^VmRSS:\s+(\d+) kB', Path(f'/proc/{pid}/status').read_text(), re.M)
    return int(m[1]) / 1024 if m else 0.


def pss_mb(pid: int) -> float:
    "Proportional memory of `pid` in MB (shared pages split between their users: totals add up)."
    m = re.search(r'^Pss:\s+(\d+) kB', Path(f'/proc/{pid}/smaps_rollup').read_text(), re.M)
    return int(m[1]) / 1024 if m else 0.


def cpu_s() -> dict:
    "CPU seconds used so far by the browser's processes and by the app's (every other Python process but this one)."
    out = dict(browser=0., app=0.)
    for d in Path('/proc').iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid(): continue
        try: cmd, stat = (d/'cmdline').read_bytes().split(b'\0')[0], (d/'stat').read_text().rsplit(')', 1)[1].split()
        except OSError: continue
        who = 'browser' if b'chrom' in cmd else 'app' if b'python' in cmd else None
        if who: out[who] += (int(stat[11]) + int(stat[12])) / os.sysconf('SC_CLK_TCK')
    return out


def children(pid: int) -> list:
    return [int(c) for c in Path(f'/proc/{pid}/task/{pid}/children').read_text().split()]


def wait_for_pool(log: Path, pool_size: int, timeout: float=300):
    end = time.time() + timeout
    while pool_size and 'Kernel pool of' not in log.read_text() and time.time() < end: time.sleep(0.2)


# Each page notes, by its own clock, when its verdict appears: the pages are uploaded to one after the other, and
# a verdict that came while later pages were being uploaded to must not be counted late.
WATCH = """() => { const seen = new MutationObserver(() => {
  if (document.querySelector('.cat-verdict, .cat-error')) { window.catVerdictAt = performance.now(); seen.disconnect(); }
}); seen.observe(document.body, {childList: true, subtree: true}); }"""


def scenario(model: Path, image: Path, browser, n: int, pool_size: int, tabs: bool=False) -> dict:
    "Open `n` pages at once, upload `image` in each, and measure; `tabs`: as tabs of one browser window."
    from cat_classifier.testing import running_app
    with running_app(model, timeout=600, pool_size=pool_size) as app:
        wait_for_pool(app.log, pool_size)
        time.sleep(2)  # the pool's notebooks have run: what a visitor finds when the server has been up a while
        # Tabs share one browser profile, so its HTTP cache: each of Voila's scripts is fetched and compiled once.
        # Otherwise each page has a profile of its own, as ten visitors' browsers would (all on this machine).
        ctx = browser.new_context() if tabs else None
        pages = [ctx.new_page() if tabs else browser.new_page() for _ in range(n)]
        cpu0, start = cpu_s(), time.perf_counter()
        for p in pages: p.evaluate('url => { window.location.href = url }', app.url)
        ready = []
        for p in pages:
            p.wait_for_selector('.cat-upload', timeout=600_000)
            ready.append(time.perf_counter() - start)
        cpu = {k: round(v - cpu0[k], 1) for k, v in cpu_s().items()}  # until the last upload button
        t0 = {}
        for i, p in enumerate(pages):
            p.evaluate(WATCH)
            with p.expect_file_chooser() as fc: p.click('.cat-upload')
            fc.value.set_files(str(image))
            t0[i] = p.evaluate('performance.now()')
        answer, verdicts = [], []
        for i, p in enumerate(pages):
            p.wait_for_selector('.cat-verdict, .cat-error', timeout=600_000)
            answer.append((p.evaluate('window.catVerdictAt') - t0[i]) / 1000)
            verdicts.append(p.inner_text('.cat-results').splitlines()[1])
        kernels, models = kernel_pids(app.log), model_processes(runtime_base(app.log))
        voila = [c for c in children(app.proc.pid) if c not in models]  # the supervisor started both
        everything = {app.proc.pid, *voila, *kernels, *models}
        r = dict(pages=n, tabs=tabs, pool_size=pool_size, ready_s=[round(x, 2) for x in ready], answer_s=[round(x, 2) for x in answer],
                 kernel_mb=[round(rss_mb(k)) for k in kernels], model_mb=round(sum(map(rss_mb, models))),
                 supervisor_mb=round(rss_mb(app.proc.pid)), voila_mb=round(sum(map(rss_mb, voila))),
                 total_rss_mb=round(sum(map(rss_mb, everything))), total_pss_mb=round(sum(map(pss_mb, everything))),
                 model_processes=len(models), verdicts=sorted(set(verdicts)), cpu_s_to_buttons=cpu)
        for p in pages: p.close()
        if ctx: ctx.close()
    print(f"{n:2d} {'tabs of one window' if tabs else 'page(s)'}, pool {pool_size}: upload button after {min(ready):.1f}–{max(ready):.1f} s; verdict "
          f"{min(answer):.2f}–{max(answer):.2f} s after upload; kernels {min(r['kernel_mb'])}–{max(r['kernel_mb'])} MB each "
          f"({len(kernels)}), model process {r['model_mb']} MB, supervisor {r['supervisor_mb']} MB, Voila {r['voila_mb']} MB; "
          f"total {r['total_rss_mb']} MB resident ({r['total_pss_mb']} MB proportional); {r['verdicts']}; CPU until the "
          f"last button: browser {cpu['browser']} s, app {cpu['app']} s", flush=True)
    return r


def server_only(model: Path, n: int, pool_size: int) -> list:
    "Seconds until each of `n` pages asked for at once over HTTP is sent (no browser): the server's share of the wait."
    import concurrent.futures, urllib.request
    from cat_classifier.testing import running_app
    with running_app(model, timeout=600, pool_size=pool_size) as app:
        wait_for_pool(app.log, pool_size)
        time.sleep(2)
        start = time.perf_counter()
        def get(_):
            urllib.request.urlopen(app.url, timeout=600).read()
            return round(time.perf_counter() - start, 2)
        with concurrent.futures.ThreadPoolExecutor(n) as ex: sent = sorted(ex.map(get, range(n)))
    print(f'{n:2d} pages asked for at once over HTTP (no browser), pool {pool_size}: sent after {sent[0]:.1f}–{sent[-1]:.1f} s', flush=True)
    return sent


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', help='model file (default: the shipped one, else a toy model)')
    p.add_argument('--image', help="photo to upload (default: scikit-image's Chelsea)")
    p.add_argument('--pages', type=int, default=10, help='pages opened at once in the crowd scenario')
    p.add_argument('--pool-size', type=int, help="page kernels kept warm (default: settings.ini's pool_size)")
    a = p.parse_args(argv)
    warnings.simplefilter('ignore')
    from cat_classifier.core import load_settings
    from cat_classifier.host import POOL_SIZE
    s = load_settings()
    from cat_classifier.testing import scratch_dir
    tmp = scratch_dir()
    if a.model: model = Path(a.model)
    elif s.model_path.is_file(): model = s.model_path
    else:
        from cat_classifier.testing import make_toy_model
        model = make_toy_model(tmp/'toy.pkl')
    image = Path(a.image) if a.image else tmp/'chelsea.jpg'
    if not a.image:
        from PIL import Image
        from skimage import data
        Image.fromarray(data.chelsea()).save(image, quality=90)
    pool = s.get('pool_size', POOL_SIZE) if a.pool_size is None else a.pool_size
    print(f'model {model} ({model.stat().st_size/2**20:.0f} MB), photo {image.name}, {os.cpu_count()} CPUs, '
          f'load average {os.getloadavg()[0]:.1f}', flush=True)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = launch(pw)
        base, one = scenario(model, image, browser, 1, 0), scenario(model, image, browser, 1, pool)
        crowd, tabs = scenario(model, image, browser, a.pages, pool), scenario(model, image, browser, a.pages, pool, tabs=True)
        browser.close()
    crowd['server_only_sent_s'] = server_only(model, a.pages, pool)
    print(f"warm pool: one page's upload button {one['ready_s'][0]:.1f} s, {base['ready_s'][0] / max(one['ready_s'][0], 1e-3):.1f}× "
          f"sooner than without a pool ({base['ready_s'][0]:.1f} s)")
    print(json.dumps(dict(baseline=base, one_page=one, crowd=crowd, crowd_tabs=tabs)))


if __name__ == '__main__':
    sys.exit(main())
