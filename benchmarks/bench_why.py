"""The "why" heatmap (18_explain) as the app computes it, in the app's own model process (no torch): seconds per
photo against a plain prediction of the same photo (the baseline, same run), the model process's memory (resident
now, and its peak), and faithfulness: real cat photos pasted onto a plain background, the share of the heat that
lies on the pasted photo's box.

    .venv/bin/python benchmarks/bench_why.py [--model PATH] [--photos DIR] [-n 20] [--scale 0.6]

Photos: --photos (one folder per breed, e.g. ../shared/datasets/cat-breeds-5), else the shipped examples/.
The last line is JSON.
"""
import argparse, io, json, os, re, statistics, sys, time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def status_mb(pid: int, key: str) -> float:
    m = re.search(rf'^{key}:\s+(\d+) kB', Path(f'/proc/{pid}/status').read_text(), re.M)
    return int(m[1]) / 1024


def main() -> int:
    from cat_classifier.core import load_settings
    from cat_classifier.explain import heat_share, png_bytes, why_view
    from cat_classifier.images import load_image
    from cat_classifier.serve import PROCESS_DIR_ENV, ModelClient
    from cat_classifier.testing import scratch_dir
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--model'); p.add_argument('--photos'); p.add_argument('-n', type=int, default=20)
    p.add_argument('--scale', type=float, default=0.6, help="the pasted photo's side, as a share of the view's")
    a = p.parse_args()
    s = load_settings()
    files = (sorted(f for d in sorted(Path(a.photos).iterdir()) if d.is_dir() for f in sorted(d.glob('*.jpg'))[:a.n // 5 or 1])
             if a.photos else sorted((ROOT/'examples').glob('*.jpg')))[:a.n]
    os.environ[PROCESS_DIR_ENV] = str(scratch_dir())
    client = ModelClient(a.model or s.model_path)
    t = time.perf_counter(); card = client.card(); start_s = time.perf_counter() - t
    size = int(card['card'].get('image_size') or 224)
    pid = int((client.dir/'pid').read_text())
    rng, predict_s, why_s, shares, labels = np.random.default_rng(0), [], [], [], []
    for f in files:
        img = load_image(f)
        data = png_bytes(why_view(img, size))
        t = time.perf_counter(); res = client.predict(data); predict_s.append(time.perf_counter() - t)
        t = time.perf_counter(); why = client.why(data); why_s.append(time.perf_counter() - t)
        labels.append(why['label'] == res['label'])
        side = int(size * a.scale)
        canvas = Image.new('RGB', (size, size), (235, 230, 220))
        x, y = (int(v) for v in rng.integers(0, size - side + 1, 2))
        canvas.paste(why_view(img, side), (x, y))
        w = client.why(png_bytes(canvas))
        shares.append(heat_share(w['heat'], (size, size), (x, y, x + side, y + side)))
    out = dict(photos=len(files), model_start_s=round(start_s, 1),
               predict_s_median=round(statistics.median(predict_s), 3), why_s_median=round(statistics.median(why_s), 3),
               why_s_max=round(max(why_s), 3), why_over_predict=round(statistics.median(why_s) / statistics.median(predict_s), 1),
               model_process_rss_mb=round(status_mb(pid, 'VmRSS')), model_process_peak_mb=round(status_mb(pid, 'VmHWM')),
               same_label_as_predict=sum(labels), heat_on_box_median=round(statistics.median(shares), 3),
               heat_on_box_mean=round(statistics.mean(shares), 3), heat_on_box_min=round(min(shares), 3),
               at_least_70pct=sum(x >= 0.7 for x in shares), load_average=os.getloadavg()[0])
    print(f"{len(files)} photos: predict {out['predict_s_median']} s, why {out['why_s_median']} s median "
          f"({out['why_over_predict']}x), {out['why_s_max']} s at most; model process {out['model_process_rss_mb']} MB "
          f"(peak {out['model_process_peak_mb']} MB); heat on the pasted photo's box: median {out['heat_on_box_median']:.0%}, "
          f"mean {out['heat_on_box_mean']:.0%}, {out['at_least_70pct']} of {len(files)} at 70% or more")
    print(json.dumps(out))
    client.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
