"""The probes of issue 24, on the shipped model (or --model), printing the figures the issue sets targets for:

1. Ten 49-MP PNGs (7000 × 7000, 160 KB each) sent at once to the model process through `ModelClient`, and a
   normal photo sent 0.5 s later: the model process's peak memory (VmHWM) and the photo's answer time.
   Baselines from the same run: the process's memory before the crowd, and the photo's answer time alone.
2. The page's kernel (an `App` in a child process, as Voila's kernel runs it) through the same ten files in one
   upload: its peak memory; then 150 uploads of one photo: its growth in memory and in widgets.
3. The model process hung (SIGSTOP): the time to the photo's verdict and the number of model processes after.
   Baseline: the same photo's answer from the live process.
4. `cat-classifier app` killed with SIGKILL, then (started again on the same port) with SIGHUP: the seconds
   until none of its processes (Voila, its kernels, the model process) is left.

    .venv/bin/python benchmarks/bench_robustness.py [--model PATH] [--photo JPEG] [--probes 1234] [--pool 2]

The photo: --photo, else a 12-MP JPEG drawn on the spot. Timings on a shared machine: read the ratios.
The last line is JSON.
"""
import argparse, io, json, os, re, signal, socket, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tests'))
from conftest import app_pids, kernel_pids, model_processes, peak_mb, rss_mb  # noqa: E402


def png49() -> bytes:
    from PIL import Image
    b = io.BytesIO()
    Image.new('RGB', (7000, 7000), (40, 180, 60)).save(b, 'PNG')
    return b.getvalue()


def phone_photo() -> bytes:
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(0)
    small = rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)  # a smooth picture, as photos are: ~2 MB as JPEG
    b = io.BytesIO()
    Image.fromarray(small).resize((4000, 3000), Image.BICUBIC).save(b, 'JPEG', quality=90)
    return b.getvalue()


def timed(f, *args, **kw):
    t = time.monotonic()
    r = f(*args, **kw)
    return r, time.monotonic() - t


def probe_crowd(client, photo: bytes, big: bytes) -> dict:
    "Ten 49-MP PNGs at once and a photo 0.5 s later: the model process's peak and the photo's answer time."
    pid = int((client.dir/'pid').read_text())
    alone = min(timed(client.predict, photo)[1] for _ in range(3))
    before = rss_mb(pid)
    with ThreadPoolExecutor(11) as ex:
        bigs = [ex.submit(timed, client.predict, big) for _ in range(10)]
        time.sleep(0.5)
        res, crowded = timed(client.predict, photo)
        answers = [f.result() for f in bigs]
    assert 'label' in res, res
    return dict(model_before_mb=round(before), model_peak_mb=round(peak_mb(pid)),
                pngs_answered=sum('label' in r for r, _ in answers), png_errors=sorted({r.get('error', '') for r, _ in answers} - {''}),
                last_png_s=round(max(t for _, t in answers), 2),
                photo_alone_s=round(alone, 2), photo_in_crowd_s=round(crowded, 2), photo_ratio=round(crowded / alone, 1))


PAGE = r'''
import json, re, sys, time
from pathlib import Path
import ipywidgets as widgets
from cat_classifier.app import App
from cat_classifier.testing import upload_value
def mb(key): return int(re.search(key + r':\s+(\d+)', Path('/proc/self/status').read_text())[1]) / 1024
app = App(sys.argv[1])
big, photo = Path(sys.argv[2]).read_bytes(), Path(sys.argv[3]).read_bytes()
def upload(*files): app.upload.value = upload_value([(f'{i}.png', d) for i, d in enumerate(files)])
start = mb('VmRSS')
upload(*[big] * 10)
out = dict(kernel_start_mb=round(start), kernel_peak_ten_pngs_mb=round(mb('VmHWM')),
           ten_pngs_tiles=[c._dom_classes[0] for c in app.results.children].count('cat-result'))
upload(photo); upload(photo)
n0, m0 = len(widgets.Widget.widgets), mb('VmRSS')
for i in range(150): upload(photo)
out.update(widgets_before=n0, widgets_after_150=len(widgets.Widget.widgets), kernel_growth_150_mb=round(mb('VmRSS') - m0, 1))
print(json.dumps(out))
'''


def probe_page(model: Path, big: bytes, photo: bytes, env: dict) -> dict:
    "An `App` in a child process (what a page's kernel runs): its peak through ten PNGs, its growth over 150 uploads."
    with tempfile.TemporaryDirectory() as d:
        (Path(d)/'big.png').write_bytes(big); (Path(d)/'photo.jpg').write_bytes(photo)
        r = subprocess.run([sys.executable, '-c', PAGE, str(model), f'{d}/big.png', f'{d}/photo.jpg'], env=env,
                           capture_output=True, text=True, timeout=1800)
    if r.returncode: raise RuntimeError(r.stderr[-3000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def probe_hung(client, photo: bytes) -> dict:
    "The model process stopped (SIGSTOP): the time to a verdict, and how many model processes there are after."
    from cat_classifier.serve import ModelClient
    old = int((client.dir/'pid').read_text())
    _, alive = timed(client.predict, photo)
    os.kill(old, signal.SIGSTOP)
    clients = [ModelClient(client.model, base=client.base) for _ in range(3)]  # three pages notice together
    t = time.monotonic()
    with ThreadPoolExecutor(3) as ex: res = list(ex.map(lambda c: timed(c.predict, photo), clients))
    took = time.monotonic() - t
    assert all('label' in r for r, _ in res), res
    procs = model_processes(Path(client.base))
    return dict(hung_verdict_s=round(took, 1), live_verdict_s=round(alive, 2), model_processes_after=len(procs),
                old_one_gone=old not in procs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def running(pid: int) -> bool:
    "Whether `pid` runs (a zombie has ended: only its exit status is left to collect)."
    try: return Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError: return False


def start_app(model: Path, port: int, log: Path, pool: int) -> subprocess.Popen:
    "`serve_app` as `cat-classifier app` runs it, with time for its first start on a loaded machine."
    args = dict(port=port, model=str(model), pool_size=pool, ready_timeout=900)
    with open(log, 'w') as out:
        proc = subprocess.Popen([sys.executable, '-c', f'from cat_classifier.host import serve_app; serve_app(**{args!r})'],
                                stdout=out, stderr=subprocess.STDOUT)
    end = time.time() + 900
    while 'is running at' not in log.read_text():
        if proc.poll() is not None or time.time() > end: raise RuntimeError(log.read_text()[-3000:])
        time.sleep(0.3)
    end = time.time() + 300
    while pool and len(kernel_pids(log)) < pool and time.time() < end: time.sleep(0.5)
    return proc


def probe_app(model: Path, pool: int) -> dict:
    "`cat-classifier app` killed (SIGKILL), started again on the same port, then hung up on (SIGHUP)."
    out, port = {}, free_port()
    with tempfile.TemporaryDirectory() as d:
        for sig in (signal.SIGKILL, signal.SIGHUP):
            log = Path(d)/f'app-{sig.name}.log'
            try: proc = start_app(model, port, log, pool)
            except RuntimeError as e:
                out[f'{sig.name}_restart_failed'] = str(e)[-300:]
                break
            pids = app_pids(port, log)
            proc.send_signal(sig)
            t = time.monotonic()
            while (left := [p for p in pids if running(p)]) and time.monotonic() - t < 60: time.sleep(0.1)
            out[f'{sig.name}_processes'] = len(pids)
            out[f'{sig.name}_all_gone_s'] = round(time.monotonic() - t, 1) if not left else None
            out[f'{sig.name}_left'] = [Path(f'/proc/{p}/cmdline').read_bytes()[:120].decode(errors='replace') for p in left]
            proc.wait(60)
    return out


def model_probes(model: Path, photo: bytes, big: bytes, probes: set) -> dict:
    "Probes 1 to 3, on one model process started for them in a folder of their own."
    from cat_classifier.serve import PROCESS_DIR_ENV, ModelClient
    res = {}
    with tempfile.TemporaryDirectory(prefix='bench-robust-') as d:
        os.environ[PROCESS_DIR_ENV] = f'{d}/run'
        client = ModelClient(model, start_timeout=900)
        _, res['model_start_s'] = timed(client.start)
        try:
            if '1' in probes:
                res |= probe_crowd(client, photo, big)
                print(f"1. ten 49-MP PNGs at once: model process {res['model_before_mb']} MB -> peak {res['model_peak_mb']} "
                      f"MB (target <= 800); {res['pngs_answered']}/10 answered, the last after {res['last_png_s']} s; the "
                      f"photo answered in {res['photo_in_crowd_s']} s (alone {res['photo_alone_s']} s, x{res['photo_ratio']};"
                      ' target <= 2 s)', flush=True)
            if '2' in probes:
                res |= probe_page(model, big, photo, os.environ.copy())
                print(f"2. page kernel: {res['kernel_start_mb']} MB -> peak {res['kernel_peak_ten_pngs_mb']} MB through the "
                      f"ten PNGs (target <= 200); 150 uploads: +{res['kernel_growth_150_mb']} MB (target <= 5), widgets "
                      f"{res['widgets_before']} -> {res['widgets_after_150']}", flush=True)
            if '3' in probes:
                res |= probe_hung(client, photo)
                print(f"3. model process hung: verdict after {res['hung_verdict_s']} s (live: {res['live_verdict_s']} s; "
                      f"target <= 30 s), {res['model_processes_after']} model process after, the hung one gone: "
                      f"{res['old_one_gone']}", flush=True)
        finally: client.stop()
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--model', type=Path, default=ROOT/'models'/'cat-breeds.pkl')
    ap.add_argument('--photo', type=Path)
    ap.add_argument('--pool', type=int, default=2, help="the app's kernel pool in probe 4 (settings.ini: 10)")
    ap.add_argument('--probes', default='1234', help='which probes to run (default: all four)')
    a = ap.parse_args()
    photo, big, probes = a.photo.read_bytes() if a.photo else phone_photo(), png49(), set(a.probes)
    print(f'photo {len(photo)/2**20:.1f} MB, PNG {len(big)/1e3:.0f} KB; load average {os.getloadavg()[0]:.1f}', flush=True)
    res = model_probes(a.model, photo, big, probes) if probes & set('123') else {}
    if '4' in probes:
        res |= probe_app(a.model, a.pool)
        print(f"4. app killed: {res.get('SIGKILL_processes')} processes, all gone after {res.get('SIGKILL_all_gone_s')} s; "
              f"started again on the same port, then SIGHUP: {res.get('SIGHUP_processes')} processes, all gone after "
              f"{res.get('SIGHUP_all_gone_s')} s (target: none left after 10 s)", flush=True)
    res['load_average'] = round(os.getloadavg()[0], 1)
    print(json.dumps(res))


if __name__ == '__main__':
    main()
