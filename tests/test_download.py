"""Downloads and imports end to end, offline: a local fake Bing (tests/download_fakebing.py) and synthetic PIL images."""
import hashlib, io, os, signal, subprocess, tempfile, time, urllib.request
from pathlib import Path

import pytest
from PIL import Image

from cat_classifier.core import InputError, file_sha256
from dataclasses import replace
from cat_classifier.download import (FetchOptions, SearchOptions, StoreOptions, add_images, download_images, image_problem,
                                     import_folder, no_interrupt)
from conftest import CLI
from download_fakebing import DROP, Redirect, Slow, closed_port_url, fake_bing

def jpeg(seed: int, size=(96, 64), fmt='JPEG', **kw) -> bytes:
    "A small image whose content depends on `seed`, with enough detail that cutting it short leaves it truncated."
    im = Image.radial_gradient('L').resize(size).convert('RGB')
    im.paste((37*seed % 256, 90*seed % 256, 200), (0, 0, size[0]//2, size[1]//2))
    buf = io.BytesIO(); im.save(buf, fmt, **kw)
    return buf.getvalue()

GOOD = {f'good{i}.jpg': jpeg(i) for i in range(4)}
WEB = {**GOOD,
       'cut.jpg': jpeg(9)[:len(jpeg(9))*2//3],            # the connection dropped mid-file
       'page.jpg': b'<!DOCTYPE html><html>Access denied</html>',  # an error page served under an image's name
       'copy.jpg': GOOD['good1.jpg'],                      # the same photo from another site
       'gone.jpg': 404}
SIAMESE = ['good0.jpg', 'cut.jpg', 'page.jpg', 'good1.jpg', 'copy.jpg', 'gone.jpg', 'good2.jpg', 'good3.jpg']

def sha16(data: bytes) -> str: return hashlib.sha256(data).hexdigest()[:16]

def tree_state(root: Path) -> dict:
    "Every file under `root`, hidden ones included, with its bytes and mtime."
    return {p.relative_to(root): (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob('*') if p.is_file()}

def staging_dirs() -> set:
    return set(Path(tempfile.gettempdir()).glob('cat-classifier-*'))

@pytest.fixture
def data(tmp_path):
    "Where downloads and imports go: a fresh, not yet existing data folder."
    d = tmp_path/'data'
    return d, StoreOptions(d/'images', d/'holdout', max_size=480)

def search(n: int, url: str) -> SearchOptions:
    "Search the fake Bing at `url` for `n` photos per category."
    return SearchOptions(n, search_url=url, search_timeout=2)

def test_download_keeps_only_good_distinct_images(data):
    d, store = data
    with fake_bing({'Siamese cat': SIAMESE, 'Sphynx cat': ['page.jpg', 'gone.jpg', 'cut.jpg']}, WEB) as (url, asked):
        res = download_images(['Siamese', 'Sphynx'], store, search(20, url), verbose=False)
    stored = sorted((d/'images'/'Siamese').iterdir())
    assert sorted(p.name for p in stored) == sorted(f'{sha16(b)}.jpg' for b in GOOD.values())
    assert [p.read_bytes() for p in stored] == sorted(GOOD.values(), key=sha16)  # small JPEGs are kept byte for byte
    for p in stored:
        assert image_problem(p) is None
        with Image.open(p) as im: im.load()
    assert sorted(p.relative_to(d).as_posix() for p in d.rglob('*')) == ['images', 'images/Siamese', *(f'images/Siamese/{p.name}' for p in stored)]
    assert (res['Siamese']['added'], res['Siamese']['duplicates'], res['Siamese']['broken'], res['Siamese']['total']) == (4, 1, 1, 4)
    assert res['Sphynx']['added'] == 0 and not (d/'images'/'Sphynx').exists()
    assert urllib.request._opener is None or all(type(h).__name__ != '_SearchMirror' for h in urllib.request._opener.handlers)

def test_second_run_adds_nothing_and_touches_nothing(data):
    d, store = data
    with fake_bing({'Siamese cat': SIAMESE}, WEB) as (url, asked):
        download_images(['Siamese'], store, search(20, url), verbose=False)
        before = tree_state(d)
        again = download_images(['Siamese'], store, search(20, url), verbose=False)  # still short of 20: searches again
        assert (again['Siamese']['added'], again['Siamese']['duplicates']) == (0, 5)
        assert tree_state(d) == before
        n_searches = sum(p.startswith('/images/async') for p in asked)
        full = download_images(['Siamese'], store, search(4, url), verbose=False)  # has 4 already: no search at all
        assert full['Siamese']['skipped'] and sum(p.startswith('/images/async') for p in asked) == n_searches
    assert tree_state(d) == before

def test_searches_on_until_enough_good_images(data):
    d, store = data
    results = {'Persian cat': ['cut.jpg', 'page.jpg', 'good0.jpg', 'good1.jpg', 'good2.jpg', 'good3.jpg']}
    with fake_bing(results, WEB, per_page=2) as (url, asked):
        res = download_images(['Persian'], store, search(3, url), verbose=False)
    assert (res['Persian']['added'], res['Persian']['broken'], res['Persian']['total']) == (3, 1, 3)
    assert len(list((d/'images'/'Persian').iterdir())) == 3

def test_unreachable_search_is_one_line_and_leaves_nothing(data):
    d, store = data
    before = staging_dirs()
    with pytest.raises(InputError) as e:
        download_images(['Siamese', 'Persian'], store, search(5, closed_port_url()), verbose=False)
    msg = str(e.value)
    assert msg.startswith('could not reach the image search (') and '--from-folder' in msg and '\n' not in msg
    assert not d.exists() and staging_dirs() == before

def test_search_failing_later_keeps_earlier_categories(data):
    d, store = data
    with fake_bing({'Siamese cat': SIAMESE, 'Persian cat': 503}, WEB) as (url, asked):
        with pytest.raises(InputError, match='HTTP Error 503'):
            download_images(['Siamese', 'Persian'], store, search(5, url), verbose=False)
    assert sorted(p.name for p in (d/'images').iterdir()) == ['Siamese'] and len(list((d/'images'/'Siamese').iterdir())) == 4
    assert not (d/'holdout').exists()

def test_holdout_on_download_is_disjoint(data):
    d, store = data
    many = {f'm{i}.jpg': jpeg(i) for i in range(30)}
    with fake_bing({'Siamese cat': list(many)}, many) as (url, asked):
        res = download_images(['Siamese'], replace(store, holdout_pct=0.3), search(30, url), verbose=False)['Siamese']
    train, hold = ({p.name for p in (d/sub/'Siamese').iterdir()} for sub in ('images', 'holdout'))
    assert res['added'] == 30 and len(hold) == res['holdout'] and 0 < len(hold) < 30 and not train & hold
    assert hold == {f'{sha16(b)}.jpg' for b in many.values() if int(hashlib.sha256(b).hexdigest()[:8], 16)/2**32 < 0.3}

@pytest.fixture
def labelled(tmp_path):
    "A labelled folder tree as users have them: one folder per category, with the usual mess in it."
    src = tmp_path/'src'
    for cat in ('Persian', 'Siamese'): (src/cat).mkdir(parents=True)
    for i in range(12): (src/'Persian'/f'p{i}.jpg').write_bytes(jpeg(i))
    (src/'Persian'/'p3 (1).jpg').write_bytes(jpeg(3))                      # a duplicate
    (src/'Persian'/'huge.jpg').write_bytes(jpeg(20, size=(1600, 900)))      # oversized
    (src/'Siamese'/'notes.jpg').write_text('this is not a photo')           # a non-image named .jpg
    (src/'Siamese'/'really-a-png.jpg').write_bytes(jpeg(21, fmt='PNG'))    # a PNG named .jpg
    exif = Image.Exif(); exif[0x0112] = 6                                   # a phone photo taken turned 90°
    (src/'Siamese'/'phone.jpg').write_bytes(jpeg(22, size=(120, 60), exif=exif))
    (src/'Siamese'/'.DS_Store').write_bytes(b'\0\0\0\1Bud1')                # hidden: not a photo, not reported
    for i in range(12, 20): (src/'Siamese'/f's{i}.jpg').write_bytes(jpeg(i))
    return src

def test_import_folder(labelled, data, tmp_path):
    d, store = data
    before = tree_state(labelled)
    res = import_folder(labelled, store, verbose=False)
    assert tree_state(labelled) == before  # src is only read
    p, s = res['Persian'], res['Siamese']
    assert (p['added'], p['duplicates'], p['broken'], p['holdout']) == (13, 1, 0, 0)
    assert (s['added'], s['duplicates'], s['broken']) == (10, 0, 1)
    assert [Path(f).name for f, why in s['problems']] == ['notes.jpg'] and 'not an image' in s['problems'][0][1]
    stored = list((d/'images').rglob('*'))
    files = [f for f in stored if f.is_file()]
    assert all(not f.name.startswith('.') for f in stored) and len(files) == 23
    for f in files: assert image_problem(f) is None
    huge = d/'images'/'Persian'/f'{sha16(jpeg(20, size=(1600, 900)))}.jpg'
    assert Image.open(huge).size == (480, 270)
    png = d/'images'/'Siamese'/f'{sha16(jpeg(21, fmt="PNG"))}.png'
    assert Image.open(png).format == 'PNG' and png.read_bytes() == (labelled/'Siamese'/'really-a-png.jpg').read_bytes()
    phone = Image.open(next((d/'images'/'Siamese').glob(f'{sha16((labelled/"Siamese"/"phone.jpg").read_bytes())}.*')))
    assert phone.size == (60, 120) and phone.getexif().get(0x0112) is None  # turned upright once and for all
    state = tree_state(d)
    again = import_folder(labelled, store, verbose=False)
    assert sum(r['added'] for r in again.values()) == 0 and tree_state(d) == state

def test_import_holdout_is_stable_and_disjoint(labelled, tmp_path):
    runs = []
    for name in ('one', 'two'):
        d = tmp_path/name
        res = import_folder(labelled, StoreOptions(d/'images', d/'holdout', 0.4), verbose=False)
        runs.append((res, {p.relative_to(d) for p in d.rglob('*') if p.is_file()}))
    (r1, files1), (r2, files2) = runs
    assert files1 == files2
    held = {f.relative_to('holdout') for f in files1 if f.parts[0] == 'holdout'}
    train = {f.relative_to('images') for f in files1 if f.parts[0] == 'images'}
    assert held and train and not held & train
    assert len(held) == sum(r['holdout'] for r in r1.values())

def test_import_errors(tmp_path, labelled):
    with pytest.raises(InputError, match='is not a folder'): import_folder(tmp_path/'nope', StoreOptions(tmp_path/'x'))
    with pytest.raises(InputError, match='no folder for Bengal'): import_folder(labelled, StoreOptions(tmp_path/'x'), ['Bengal'])
    with pytest.raises(InputError, match='not a share'): import_folder(labelled, StoreOptions(tmp_path/'x', holdout_pct=15))
    assert not (tmp_path/'x').exists()

def test_add_images_never_leaves_partial_files(tmp_path, monkeypatch):
    src = tmp_path/'src'; src.mkdir()
    files = [src/f'{i}.jpg' for i in range(3)]
    for i, f in enumerate(files): f.write_bytes(jpeg(i))
    import shutil
    real_copy, calls = shutil.copyfile, []
    def flaky_copy(a, b):
        calls.append(a)
        if len(calls) == 2: Path(b).write_bytes(b'half'); raise OSError('disk full')
        return real_copy(a, b)
    monkeypatch.setattr(shutil, 'copyfile', flaky_copy)
    with pytest.raises(OSError, match='disk full'): add_images(files, tmp_path/'dest'/'Persian')
    left = list((tmp_path/'dest').rglob('*'))
    assert [p.name for p in left if p.is_file()] == [f'{file_sha256(files[0])[:16]}.jpg']


# Fetching: each way a link can go wrong, among good photos. Every case must keep only whole photos that open,
# leave no partial file in the data or the staging folder, and say what happened in the summary line.
FAST = FetchOptions(timeout=0.5, max_mb=0.02, retries=2, backoff=0.01)  # good photos here are ~2 KB
CASES = {  # name: (what the link answers, added, failed, times it is asked for)
    'slow host': (Slow(1.5, jpeg(7)), 2, 1, 1),               # slower than the timeout: given up, not retried
    'redirect loop': (Redirect('bad.jpg'), 2, 1, None),        # follows itself: refused at once
    'over the size cap': (jpeg(8) + bytes(40_000), 2, 1, 1),  # a valid JPEG with 40 KB of padding: over 0.02 MB
    '503 then success': ([503, jpeg(9)], 3, 0, 2),            # a transient error: the retry gets it
    'dropped then success': ([DROP, jpeg(10)], 3, 0, 2),       # the connection reset without an answer: retried
    'always 503': (503, 2, 1, 3),                              # retried twice, then given up
    '404': (404, 2, 1, 1),                                     # not retried
}

def assert_only_whole_photos(*roots: Path):
    "Every file under `roots` is a photo that opens, under a visible name: no `.part`, nothing half-written."
    for root in roots:
        for p in root.rglob('*'):
            if p.is_file(): assert not p.name.startswith('.') and image_problem(p) is None, p

@pytest.mark.parametrize('case', CASES)
def test_fetch_problems(case, data, tmp_path, monkeypatch, capsys):
    d, store = data
    monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path/'tmp')); (tmp_path/'tmp').mkdir()  # the staging folder goes here
    answer, added, failed, asked_n = CASES[case]
    web = {'good0.jpg': GOOD['good0.jpg'], 'bad.jpg': answer, 'good1.jpg': GOOD['good1.jpg']}
    with fake_bing({'Siamese cat': list(web)}, web) as (url, asked):
        res = download_images(['Siamese'], store, search(3, url), FAST)['Siamese']
    line = capsys.readouterr().out.strip().splitlines()[-1]
    total = f'{added} in all' + (', 3 wanted' if added < 3 else '')
    assert line == f'Siamese: {added} added, 0 duplicates, 0 broken' + (f', {failed} failed to download' if failed else '') + f'; {total}'
    assert (res['added'], res['failed'], res['broken'], res['total']) == (added, failed, 0, added)
    if failed: assert [u.rsplit('/', 1)[1] for u, why in res['problems']] == ['bad.jpg']
    if asked_n: assert asked.count(next(p for p in asked if p.endswith('/bad.jpg'))) == asked_n
    assert len(list((d/'images'/'Siamese').iterdir())) == added
    assert_only_whole_photos(d, tmp_path/'tmp')
    assert not list((tmp_path/'tmp').iterdir())  # the staging folder is gone

def test_fetch_problem_reasons(data):
    d, store = data
    web = {'slow.jpg': Slow(1.5, jpeg(7)), 'loop.jpg': Redirect('loop.jpg'), 'big.jpg': jpeg(8) + bytes(40_000),
           'down.jpg': 503, 'page.jpg': b'<html>Access denied</html>', 'gone.jpg': 404}
    with fake_bing({'Siamese cat': list(web)}, web) as (url, asked):
        res = download_images(['Siamese'], store, search(6, url), FAST, verbose=False)['Siamese']
    whys = {u.rsplit('/', 1)[1]: why for u, why in res['problems']}
    assert whys == {'slow.jpg': 'timed out', 'loop.jpg': 'too many redirects', 'big.jpg': 'larger than 0.02 MB',
                    'down.jpg': 'HTTP 503', 'page.jpg': 'not an image', 'gone.jpg': 'HTTP 404'}
    assert res['failed'] == 6 and not d.exists()

def test_parallel_fetch_respects_the_per_host_cap(data):
    "12 links over 2 hosts, 8 threads, at most 3 at once per host: each host serves 3 at a time, never more."
    d, store = data
    many = {f'm{i}.jpg': jpeg(i) for i in range(12)}
    with fake_bing({'Siamese cat': list(many)}, many, latency=0.2, hosts=2) as (url, asked):
        res = download_images(['Siamese'], store, search(12, url), FetchOptions(workers=8, per_host=3), verbose=False)
    assert res['Siamese']['added'] == 12 and sorted(asked.served) == sorted(many)
    assert sorted(asked.peak.values()) == [3, 3]

def test_progress_bar_then_the_summary_line(data, capsys):
    d, store = data
    with fake_bing({'Siamese cat': SIAMESE}, WEB) as (url, asked):
        download_images(['Siamese'], store, search(20, url), progress=True)
    out = capsys.readouterr().out
    assert '0.00% [0/8 ' in out and '100.00% [8/8 ' in out and '... Siamese]' in out  # one bar over the 8 links
    assert out.endswith('\rSiamese: 4 added, 1 duplicate, 1 broken, 2 failed to download; 4 in all, 20 wanted\n')

def test_interrupt_holds_back_and_then_raises():
    steps = []
    with pytest.raises(KeyboardInterrupt):
        with no_interrupt(): signal.raise_signal(signal.SIGINT); steps.append('block done')
    assert steps == ['block done']

def test_ctrl_c_mid_download_loses_nothing_and_the_next_run_completes(tmp_path):
    "Ctrl-C while images are being fetched: no partial file anywhere, a one-line message; the next run fills the set."
    many = {f'm{i:02d}.jpg': jpeg(i) for i in range(12)}
    web = {n: (b if i < 4 else Slow(0.8, b)) for i, (n, b) in enumerate(many.items())}  # 4 quick, 8 slow
    d, tmp = tmp_path/'data', tmp_path/'tmp'; tmp.mkdir()
    ini = tmp_path/'settings.ini'
    ini.write_text(f'[data]\ncategories = Siamese\nquery_template = {{}} cat\nimages_per_category = 12\nimages_path = {d}/images\n'
                   f'holdout_path = {d}/holdout\nmax_size = 480\nsearch_timeout = 2\nfetch_workers = 8\nfetch_per_host = 8\n')
    env = dict(os.environ, TMPDIR=str(tmp))  # the CLI's staging folder goes here, to be checked
    run = lambda: subprocess.Popen([CLI, '--settings', ini, 'download', '--search-url', url], env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # even if we run with it ignored
    with fake_bing({'Siamese cat': list(web)}, web) as (url, asked):
        p = run()
        for _ in range(300):  # until the quick photos are stored and slow ones are being fetched
            stored = list((d/'images'/'Siamese').glob('*.jpg')) if (d/'images'/'Siamese').is_dir() else []
            if len(stored) == 4 and any('m11' in a for a in asked): break
            time.sleep(0.02)
        assert len(stored) == 4 and p.poll() is None
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
        assert p.returncode == 2 and err == 'cat-classifier: error: interrupted\n'
        assert sorted(f.name for f in d.rglob('*') if f.is_file()) == sorted(f'{sha16(b)}.jpg' for b in list(many.values())[:4])
        assert_only_whole_photos(d, tmp)
        assert not list(tmp.iterdir())  # no staging folder left either
        p = run()
        out, err = p.communicate(timeout=30)
    assert p.returncode == 0 and err == ''
    # The search lists the 4 stored photos first again: found, recognised by content and skipped.
    assert out.strip().splitlines()[-1] == 'Siamese: 8 added, 4 duplicates, 0 broken; 12 in all'
    assert sorted(f.name for f in d.rglob('*') if f.is_file()) == sorted(f'{sha16(b)}.jpg' for b in many.values())
    assert_only_whole_photos(d, tmp)
    assert not list(tmp.iterdir())
