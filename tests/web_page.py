"""The static page of `cat-classifier export --web` in Chromium, for tests/test_web.py and benchmarks/bench_web.py:
served by `python -m http.server` as a visitor's host would serve it, photos chosen in its file dialog."""
import base64, json, socket, subprocess, sys, time, urllib.request
from contextlib import contextmanager
from pathlib import Path

LOAD_MS = 180_000  # onnxruntime-web compiles its WebAssembly and starts two sessions: slow on a busy machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@contextmanager
def served(site: Path):
    "Serve the folder `site` with `python -m http.server` on localhost for the `with` block; yield its URL."
    port = free_port()
    proc = subprocess.Popen([sys.executable, '-m', 'http.server', str(port), '--bind', '127.0.0.1', '-d', str(site)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f'http://127.0.0.1:{port}/'
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=1).close()
                break
            except OSError: time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def open_page(context, url: str):
    "A page of the site at `url`, with its models loaded (the file input enabled)."
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector('body[data-ready=true]', state='attached', timeout=LOAD_MS)
    return page


def choose(page, files, timeout_ms: float=120_000) -> list[dict]:
    "Choose `files` in the page's file dialog; per file, its tile: name, verdict or error, probabilities, ms."
    with page.expect_file_chooser() as fc: page.click('#cat-drop')
    fc.value.set_files([str(f) for f in files])
    page.wait_for_function('n => document.querySelectorAll("#cat-results > *").length === n && '
                           '!document.querySelector("#cat-files").disabled', arg=len(files), timeout=timeout_ms)
    return page.evaluate('''() => [...document.querySelectorAll("#cat-results > *")].map(t => ({
        name: t.querySelector("b").innerText, error: t.classList.contains("cat-error") ? t.innerText : null,
        verdict: t.querySelector(".cat-verdict")?.innerText ?? null,
        probs: t.dataset.probs ? JSON.parse(t.dataset.probs) : null,
        cat: t.dataset.cat ? parseFloat(t.dataset.cat) : null, ms: t.dataset.ms ? parseFloat(t.dataset.ms) : null}))''')


def views(page, files, size: int) -> list[list[int]]:
    "The uint8 CHW view of each of `files` at `size` px as the page's script cuts it (flat lists)."
    out = []
    for f in files:
        with page.expect_file_chooser() as fc: page.evaluate('''() => {
            const i = document.createElement("input"); i.type = "file"; i.id = "probe"; document.body.append(i); i.click(); }''')
        fc.value.set_files(str(f))
        out.append(page.evaluate('''async size => { const i = document.getElementById("probe"); i.remove();
            const v = window.catClassifier.view(await window.catClassifier.decode(i.files[0]), size);
            let s = "";  // base64: a 224-px view as one string, not 150,000 JSON numbers
            for (let k = 0; k < v.length; k += 8192) s += String.fromCharCode.apply(null, Array.from(v.slice(k, k + 8192)));
            return btoa(s); }''', size))
    return [list(base64.b64decode(v)) for v in out]
