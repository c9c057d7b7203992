"""The static page (`cat-classifier export --web`) against `predict`, on real photos with the shipped model: top-1
agreement, the largest probability difference, verdict agreement, the first visit's download (in all and per file,
against the 15 MB target), the time to load and the time per photo in headless Chromium (median and max, against
the 1 s target); for the page with int8 weights (the default) and with float32 weights. The load average is printed
before and after: the machine may be shared.
Baseline from the same run: `predict`'s single-photo path in Python (`predict_image`, onnxruntime, one photo at a
time) on the same photos. Last line: JSON.

    .venv/bin/python benchmarks/bench_web.py [--images ../shared/datasets/cat-breeds-5] [--model PATH] [-n 300]

The photos are the -n that benchmarks/bench_predict.py draws (the same seed). Run it on an idle machine.
"""
import argparse, json, os, random, statistics, sys, tempfile, time, warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tests'))
from browser import launch  # noqa: E402
from web_page import choose, open_page, served  # noqa: E402


def visit(browser, site: Path, files: list, chunk: int=50) -> dict:
    "One first visit of `site`: bytes downloaded, seconds until it can answer, and every photo's tile."
    with served(site) as url:
        ctx = browser.new_context()
        requests = []
        ctx.on('requestfinished', lambda r: requests.append(r))
        t = time.perf_counter()
        page = open_page(ctx, url)
        load_s = time.perf_counter() - t
        page.wait_for_timeout(1000)  # the service worker keeps the small files: counted too
        per_file = {}  # the largest download of each URL: a second request may come from the browser's cache
        for r in requests:
            n = r.sizes()['responseBodySize']
            # Unknown (negative) for a script streamed to the compiler: then the Content-Length it came with.
            n = n if n >= 0 else int(r.response().headers.get('content-length', 0))
            name = r.url.removeprefix(url) or './'
            per_file[name] = max(per_file.get(name, 0), n)
        tiles = [r for i in range(0, len(files), chunk) for r in choose(page, files[i:i+chunk], timeout_ms=600_000)]
        ctx.close()
    return dict(downloaded=sum(per_file.values()), per_file=per_file, load_s=load_s, tiles=tiles)


def compare(tiles: list, want: list, vocab: list) -> dict:
    "How the page's tiles agree with `predict`'s answers `want` (top-1, every probability it gives, the verdict)."
    from cat_classifier.app import verdict
    diffs, top1, same_verdict, differs = [], 0, 0, []
    for g, w in zip(tiles, want):
        probs = dict(zip(vocab, g['probs']))
        same = max(probs, key=probs.get) == w['label']
        top1 += same
        if not same: differs.append(g['name'])
        diffs += [abs(probs[label] - p) for label, p in w['top']] + [abs(g['cat'] - w['cat_probability'])]
        # The same kind of verdict on the same breed: the sentence's percentage may round the other way.
        same_verdict += g['verdict'].split('(')[0] == verdict(w, len(vocab)).split('(')[0]
    ms = [g['ms'] for g in tiles]
    return dict(top1_agreement=top1 / len(want), top1_differs=differs, verdict_agreement=same_verdict / len(want),
                max_prob_diff=max(diffs), mean_prob_diff=statistics.mean(diffs), ms_median=statistics.median(ms),
                ms_p95=sorted(ms)[int(0.95 * (len(ms) - 1))], ms_max=max(ms))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--images', default=str(ROOT.parent/'shared'/'datasets'/'cat-breeds-5'),
                   help='folder of photos (searched recursively)')
    p.add_argument('--model', help='exported model (default: settings model_path)')
    p.add_argument('-n', type=int, default=300, help='photos (default: 300)')
    p.add_argument('--pages', default='int8,float32', help='which pages: int8 (the default build), float32 '
                                                           '(--no-quantize) or both (default)')
    a = p.parse_args(argv)
    warnings.simplefilter('ignore')
    from fastai.vision.all import get_image_files
    from playwright.sync_api import sync_playwright
    from cat_classifier.core import load_settings
    from cat_classifier.export import load_model
    from cat_classifier.images import load_image
    from cat_classifier.predict import predict_files, predict_image, to_runtime
    from cat_classifier.runtime import Thresholds
    from cat_classifier.web import PageOptions, export_web
    s = load_settings()
    model = Path(a.model or s.model_path)
    files = sorted(get_image_files(a.images))
    files = sorted(random.Random(0).sample(files, a.n))  # as benchmarks/bench_predict.py draws them
    learn = load_model(model)
    vocab = list(learn.dls.vocab)
    thresholds = Thresholds.from_settings(s)
    want = list(predict_files(learn, files, max_bytes=0, thresholds=thresholds))
    assert not any('error' in w for w in want), [w for w in want if 'error' in w]
    imgs = [load_image(f) for f in files[:40]]
    predict_image(learn, imgs[0], thresholds=thresholds)
    t_py = []
    for im in imgs:
        t = time.perf_counter(); predict_image(learn, im, thresholds=thresholds); t_py.append(time.perf_counter() - t)
    base_ms = statistics.median(t_py) * 1e3
    print(f'{model.name}, {len(files)} photos from {a.images}; baseline: predict_image in Python, median of '
          f'{len(imgs)} photos: {base_ms:.0f} ms', flush=True)
    rt = to_runtime(learn)
    out = dict(model=model.name, n=len(files), predict_image_ms=base_ms, load_before=os.getloadavg())
    print('load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}'.format(*out['load_before']), flush=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = launch(pw)
        for name in a.pages.split(','):
            quantize = name == 'int8'
            t = time.perf_counter()
            site = export_web(rt, Path(tmp)/name, PageOptions.from_settings(s), quantize=quantize)
            build_s = time.perf_counter() - t
            v = visit(browser, site, files)
            r = dict(build_s=build_s, download_mb=v['downloaded'] / 1e6, load_s=v['load_s'],
                     files_mb={k: b / 1e6 for k, b in v['per_file'].items()}, **compare(v['tiles'], want, vocab))
            r['ms_median_vs_python'] = r['ms_median'] / base_ms
            out[name] = r
            by_size = sorted(r['files_mb'].items(), key=lambda kv: -kv[1])
            print(f"{name}: first visit {r['download_mb']:.2f} MB (target 15 MB): "
                  + ', '.join(f'{k} {mb:.3f}' for k, mb in by_size), flush=True)
            print(f"{name}: first visit {r['download_mb']:.2f} MB, ready in {r['load_s']:.1f} s; top-1 agreement "
                  f"{r['top1_agreement']:.1%}, verdicts {r['verdict_agreement']:.1%}, largest probability difference "
                  f"{r['max_prob_diff']:.4f} (mean {r['mean_prob_diff']:.5f}); per photo {r['ms_median']:.0f} ms median "
                  f"({r['ms_median_vs_python']:.2f} x Python), p95 {r['ms_p95']:.0f} ms, max {r['ms_max']:.0f} ms "
                  f"(target 1 s); built in {build_s:.1f} s; other top-1: {', '.join(r['top1_differs']) or 'none'}",
                  flush=True)
        browser.close()
    out['load_after'] = os.getloadavg()
    print('load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}'.format(*out['load_after']), flush=True)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
