"""The served app, without a browser: what Voila refuses, idle kernels culled, one light model process for
every page, and a clean stop on Ctrl-C or SIGTERM that leaves no kernel and no model process behind."""
import asyncio, concurrent.futures, http.cookiejar, json, os, re, signal, time, urllib.error, urllib.request, uuid
from pathlib import Path

import pytest

from cat_classifier.testing import running_app
from conftest import kernel_pids, model_processes, runtime_base

PAGE_TIMEOUT = 180  # the first page waits for the model process to build its runtime (torch, fastai): slow on a busy 2-core machine


def open_page(url: str):
    "Load the app page as a browser would; return its kernel's id and the cookie header to talk to it."
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(url, timeout=PAGE_TIMEOUT).read().decode()
    assert 'application/vnd.jupyter.widget-view+json' in page, page[-2000:]  # the notebook ran and showed its widgets
    return re.search(r'"kernelId": "([0-9a-f-]{36})"', page)[1], '; '.join(f'{c.name}={c.value}' for c in jar)


def status(url: str, method: str='GET') -> int:
    "The HTTP status of `url`, after redirects."
    try: return urllib.request.urlopen(urllib.request.Request(url, method=method, data=b'{}' if method == 'POST' else None), timeout=30).status
    except urllib.error.HTTPError as e: return e.code


def _msg(msg_type: str, content: dict) -> str:
    header = dict(msg_id=uuid.uuid4().hex, msg_type=msg_type, username='', session=uuid.uuid4().hex, date='', version='5.3')
    return json.dumps(dict(header=header, parent_header={}, metadata={}, content=content, channel='shell', buffers=[]))


async def _talk(ws_url: str, cookie: str, code: str, wait: float=10) -> list:
    "Send an execute_request and a kernel_info_request over the kernel's websocket; return the types of the replies."
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect
    ws = await websocket_connect(HTTPRequest(ws_url, headers={'Cookie': cookie}))
    await ws.write_message(_msg('execute_request', dict(code=code, silent=False, store_history=False, user_expressions={},
                                                        allow_stdin=False, stop_on_error=True)))
    await ws.write_message(_msg('kernel_info_request', {}))
    seen, end = [], time.time() + wait
    while time.time() < end:
        try: m = await asyncio.wait_for(ws.read_message(), 1)
        except asyncio.TimeoutError: continue
        if m is None: break
        if isinstance(m, str): seen.append(json.loads(m)['header']['msg_type'])
    ws.close()
    return seen


def test_page_cannot_run_code_or_reach_files_and_idle_kernels_are_culled(toy_model, tmp_path):
    # No warm pool here: Voila never culls pooled kernels, so this page's kernel is the only one to watch.
    with running_app(toy_model, cull_idle_s=8, timeout=PAGE_TIMEOUT, pool_size=0) as app:
        kid, cookie = open_page(app.url)
        marker = tmp_path/'pwned'
        replies = asyncio.run(_talk(app.url.replace('http', 'ws') + f'api/kernels/{kid}/channels?session_id={uuid.uuid4().hex}',
                                    cookie, f'open({str(marker)!r}, "w").write("x")'))
        assert 'kernel_info_reply' in replies, replies  # the channel works...
        assert 'execute_reply' not in replies and not marker.exists()  # ...but code from the page is never run
        # Nothing but the app: no contents API, no other notebook, no files, no new kernels.
        for path in ['api/contents', 'api/contents/settings.ini', 'api/sessions', 'api/terminals', 'voila/render/00_core.ipynb',
                     'voila/tree', 'voila/api/contents/', 'voila/files/app.ipynb', 'voila/files/../settings.ini', 'lab']:
            assert status(app.url + path) in (403, 404), path
        assert status(app.url + 'api/kernels', 'POST') in (403, 404, 405)
        assert len(kernel_pids(app.log)) == 1
        # The tab has gone (its websocket closed): the culler ends its kernel.
        end = time.time() + 60
        while status(app.url + f'api/kernels/{kid}') != 404 and time.time() < end: time.sleep(1)
        assert status(app.url + f'api/kernels/{kid}') == 404
        assert kernel_pids(app.log) == []


@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGINT])
def test_stops_cleanly_and_leaves_no_kernel(toy_model, sig):
    with running_app(toy_model, timeout=PAGE_TIMEOUT, pool_size=0) as app:
        open_page(app.url)
        kernels = kernel_pids(app.log)
        assert len(kernels) == 1
        app.proc.send_signal(sig)  # what Ctrl-C (SIGINT) or a service manager (SIGTERM) sends
        assert app.proc.wait(180) == 0  # generous: a loaded 2-core machine shuts kernels down slowly
        end = time.time() + 60
        while (kernel_pids(app.log) or model_processes(runtime_base(app.log))) and time.time() < end: time.sleep(0.5)
        assert kernel_pids(app.log) == [] and model_processes(runtime_base(app.log)) == []
        assert 'Stopping the app' in app.log.read_text()
    with pytest.raises(OSError): urllib.request.urlopen(app.url, timeout=5)


def test_pages_share_one_model_process_their_kernels_are_light_and_sigterm_stops_all(toy_model):
    "Three pages opened at once beside a warm pool: one model process; no torch in any page's kernel."
    with running_app(toy_model, timeout=PAGE_TIMEOUT, pool_size=1, pool_fill_delay_s=1) as app:
        with concurrent.futures.ThreadPoolExecutor(3) as ex: kids = list(ex.map(lambda _: open_page(app.url)[0], range(3)))
        assert len(set(kids)) == 3
        models, kernels = model_processes(runtime_base(app.log)), kernel_pids(app.log)
        assert len(models) == 1 and len(kernels) >= 3
        # Importing torch maps its libraries: this test's process has them (the check can see them); no kernel
        # does, nor the supervisor, nor the model process (a child built its runtime, then left).
        import torch  # noqa: F401
        assert 'torch/lib/' in Path('/proc/self/maps').read_text()
        for pid in [*kernels, app.proc.pid, *models]: assert 'torch/lib/' not in Path(f'/proc/{pid}/maps').read_text(), pid
        app.proc.send_signal(signal.SIGTERM)
        assert app.proc.wait(180) == 0
        end = time.time() + 60
        while (kernel_pids(app.log) or model_processes(runtime_base(app.log))) and time.time() < end: time.sleep(0.5)
        assert kernel_pids(app.log) == [] and model_processes(runtime_base(app.log)) == []


def test_the_shipped_examples_are_one_small_credited_photo_per_breed():
    "examples/ as the app reads it: every category of the shipped model once, each photo small, each credited."
    from PIL import Image
    from cat_classifier.app import EXAMPLE_BYTES, read_examples
    root = Path(__file__).resolve().parents[1]
    categories = json.loads((root/'models'/'cat-breeds.json').read_text())['categories']
    examples = read_examples(root/'examples', categories)
    assert sorted(ex.label for ex in examples) == sorted(categories)
    assert sum(ex.file.stat().st_size for ex in examples) < 300_000
    for ex in examples:
        assert ex.file.stat().st_size <= EXAMPLE_BYTES and ex.credit
        with Image.open(ex.file) as im: assert im.format == 'JPEG' and max(im.size) <= 320, (ex.file, im.size)
        assert ex.file.name in (root/'examples'/'README.md').read_text()
