"""Two exported models side by side, as the app's model process runs them: time per photo and memory.

Each model is turned into the torch-free runtime the model process holds (`predict.to_runtime`: both ONNX graphs), then
the same photos are answered one at a time (the app's single-photo path) by the two runtimes in turn, photo by
photo, so that a busy machine slows both alike. Memory is the resident size of a fresh process that loads each
runtime from its files and answers the photos, as the model process does. Last line: JSON.

    .venv/bin/python benchmarks/bench_models.py --images DIR --before OLD.pkl [--after models/cat-breeds.pkl] [-n 40]
"""
import argparse, json, random, statistics, subprocess, sys, tempfile, time, warnings
from pathlib import Path

CHILD = '''
import sys
from pathlib import Path
from cat_classifier.images import load_image
from cat_classifier.runtime import Runtime
rt = Runtime.load(sys.argv[1])
for f in sys.argv[2:]: rt.predict_images([load_image(f)])
# VmHWM: this process's own peak (ru_maxrss would start from the parent's, which it was forked from)
print(int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) / 1024)
'''


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--images', required=True, help='folder of photos (searched recursively)')
    p.add_argument('--before', required=True, help='the baseline model (an exported .pkl with its card)')
    p.add_argument('--after', default='models/cat-breeds.pkl', help='the model to compare (default: the shipped one)')
    p.add_argument('-n', type=int, default=40, help='photos (default: 40), drawn with a fixed seed')
    a = p.parse_args(argv)
    warnings.simplefilter('ignore')
    from cat_classifier.export import load_model
    from cat_classifier.images import load_image
    from cat_classifier.predict import to_runtime
    files = sorted(f for f in Path(a.images).rglob('*') if f.suffix.lower() in ('.jpg', '.jpeg', '.png'))
    files = random.Random(0).sample(files, min(a.n, len(files)))
    rts = {k: to_runtime(load_model(m)) for k, m in (('before', a.before), ('after', a.after))}
    imgs = [load_image(f) for f in files]
    for rt in rts.values(): rt.predict_images(imgs[:2])  # sessions built, first-call costs paid
    ms = {k: [] for k in rts}
    for img in imgs:
        for k, rt in rts.items():
            t = time.perf_counter(); rt.predict_images([img]); ms[k].append((time.perf_counter() - t) * 1000)
    rss = {}
    for k, rt in rts.items():
        with tempfile.TemporaryDirectory() as d:
            rt.save(d)
            out = subprocess.run([sys.executable, '-c', CHILD, d, *map(str, files)], capture_output=True, text=True)
            rss[k] = float(out.stdout.strip().splitlines()[-1])
    med = {k: statistics.median(v) for k, v in ms.items()}
    for k in rts:
        print(f'{k:>6}: {med[k]:6.1f} ms per photo (median of {len(files)}), model process peak {rss[k]:.0f} MB')
    print(f'after / before: {med["after"] / med["before"]:.2f}x the time per photo')
    print(json.dumps(dict(ms_before=round(med['before'], 1), ms_after=round(med['after'], 1),
                          ratio=round(med['after'] / med['before'], 2), rss_mb_before=round(rss['before']),
                          rss_mb_after=round(rss['after']), photos=len(files))))


if __name__ == '__main__': main()
