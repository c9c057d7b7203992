"""How much faster `cat-classifier download` fetches than bing-image-downloader's own `Bing.run()`, over a slow
network: a local fake Bing on loopback (tests/download_fakebing.py) that waits --latency seconds before answering
each image request, and serves --categories categories of --n photos each.

    .venv/bin/python benchmarks/bench_download.py [--latency 0.1] [--n 40] [--hosts 8] [--photos DIR]

In one run it times, on the same server:
- sequential: `Bing(...).run()` for each category, as bing-image-downloader does it (one image after the other);
- project: `download_images` with the fetch settings of settings.ini (threads, per-host cap, timeouts), which also
  checks, deduplicates, shrinks and stores every photo.

Then it checks that both end with the same photos. Bing.run() stores the raw downloaded bytes, while the project
stores them normalised (verified, duplicates dropped, shrunk to max_size, named by the sha256 of the downloaded
bytes). So after the timing, the raw files of Bing.run() go through the project's own `add_images` (the same
normalisation, in a separate folder), and the two folders must then hold exactly the same files, byte for byte,
per category: same names means the same downloaded bytes, same bytes means the same stored photos. The raw
files are also counted: both sides must have fetched every photo that was served.

Photos: the real breed photos under --photos (default: ../shared/datasets/cat-breeds-5 beside the checkout; the
first --n of each folder, read in place), else drawn toy images. They are served by --hosts servers (ports on
127.0.0.1) in turn, as Bing's results point at many sites; the project fetches at most `fetch_per_host` at once
from each, so with --hosts 1 that cap bounds the speedup.
The last line is JSON: {"sequential_s", "project_s", "speedup", "same_files"}.
"""
import argparse, io, json, os, sys, tempfile, time, warnings
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tests'))
PHOTOS = ROOT.parent/'shared'/'datasets'/'cat-breeds-5'  # beside the checkout, as in 01_download's last cell


def photos(src: Path|None, n: int, k: int) -> dict[str, dict[str, bytes]]:
    "`{category: {file name: bytes}}`: `n` photos for each of `k` categories, real ones from `src` if it exists."
    if src and src.is_dir():
        cats = sorted(d for d in src.iterdir() if d.is_dir())[:k]
        return {c.name: {f'{c.name}_{i:03d}{f.suffix}': f.read_bytes() for i, f in enumerate(sorted(c.iterdir())[:n])} for c in cats}
    from cat_classifier.testing import make_toy_images
    shapes = ['ellipse', 'rectangle', 'polygon']
    classes = {f'toy{j}': ((40 + 40*j, 200 - 30*j, 90), shapes[j % 3]) for j in range(k)}
    with tempfile.TemporaryDirectory(prefix='bench-toys-') as d:
        tree = make_toy_images(d, n=n, size=320, classes=classes)
        return {c: {f.name: f.read_bytes() for f in sorted((tree/c).iterdir())} for c in classes}


def folder_state(root: Path) -> dict:
    "`{(category, name): bytes}` of the files under `root`."
    return {(p.parent.name, p.name): p.read_bytes() for p in root.rglob('*') if p.is_file()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--latency', type=float, default=0.1, help='seconds each image request waits (default 0.1)')
    p.add_argument('--n', type=int, default=40, help='photos per category (default 40)')
    p.add_argument('--categories', type=int, default=5, help='categories (default 5)')
    p.add_argument('--hosts', type=int, default=8, help='image servers the results are spread over (default 8)')
    p.add_argument('--photos', default=str(PHOTOS), help='a folder of photos per category (default: the real breed photos)')
    a = p.parse_args(argv)
    warnings.simplefilter('ignore')
    with tempfile.TemporaryDirectory(prefix='bench-download-') as tmp:
        run(a, Path(tmp))


def run(a, tmp: Path):
    "Time both downloads into `tmp`, compare what they stored, print the figures."
    from bing_image_downloader.bing import Bing
    from cat_classifier.core import load_settings
    from cat_classifier.download import (FetchOptions, SearchOptions, StoreOptions, add_images, download_images,
                                         search_query, search_via)
    from download_fakebing import fake_bing
    s = load_settings(ROOT/'settings.ini')
    cats = photos(Path(a.photos), a.n, a.categories)
    web = {name: data for c in cats.values() for name, data in c.items()}
    query = {c: search_query(s.query_template, c) for c in cats}  # what the project searches for: the same for both
    results = {query[c]: list(files) for c, files in cats.items()}
    print(f'{len(cats)} categories x {a.n} photos ({sum(map(len, web.values()))/2**20:.1f} MB), {a.latency*1000:.0f} ms per '
          f'image request, {a.hosts} image hosts; {FetchOptions.from_settings(s)}; {os.cpu_count()} CPUs, '
          f'load average {os.getloadavg()[0]:.1f}', flush=True)
    with fake_bing(results, web, per_page=max(35, a.n), latency=a.latency, hosts=a.hosts) as (url, asked):
        t = time.perf_counter()
        for c in cats:  # bing-image-downloader's own downloader, one category after the other
            (tmp/'bing'/c).mkdir(parents=True)
            with redirect_stdout(io.StringIO()), search_via(url):
                Bing(query[c], a.n, tmp/'bing'/c, adult='on', timeout=10, filter='photo', verbose=False).run()
        sequential = time.perf_counter() - t
        print(f'sequential Bing.run(): {sequential:.2f} s', flush=True)
        t = time.perf_counter()
        store = StoreOptions(tmp/'project', tmp/'project-holdout', max_size=s.max_size)
        search = SearchOptions.from_settings(dict(s, images_per_category=a.n, search_url=url))
        res = download_images(list(cats), store, search, FetchOptions.from_settings(s), verbose=False)
        project = time.perf_counter() - t
        print(f'project download:      {project:.2f} s', flush=True)
    raw = {c: sorted((tmp/'bing'/c).iterdir()) for c in cats}
    for c, files in raw.items(): add_images(files, tmp/'bing-normalised'/c, s.max_size)
    ours, theirs = folder_state(tmp/'project'), folder_state(tmp/'bing-normalised')
    fetched = all(len(raw[c]) == a.n for c in cats) and sum(r['failed'] for r in res.values()) == 0
    same = ours == theirs and fetched and len(ours) > 0
    print(f'Bing.run() saved {sum(map(len, raw.values()))} files, {len(theirs)} after normalising; the project stored '
          f'{len(ours)} (' + ', '.join(f'{c}: {r["added"]} added, {r["duplicates"]} duplicates, {r["broken"]} broken'
                                     for c, r in res.items()) + ')')
    print(json.dumps(dict(sequential_s=round(sequential, 2), project_s=round(project, 2),
                          speedup=round(sequential/project, 2), same_files=same)))


if __name__ == '__main__':
    main()
