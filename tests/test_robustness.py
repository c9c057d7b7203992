"""What a hostile or unlucky crowd does to the app, on toy models: pictures that are small files but large
images decode within the memory budget (and a small photo is answered beside them), a hung model process is
replaced within seconds by exactly one other, malformed or dripping requests are closed with one line in the
log, a model process stops when the app that owns it is gone, and the page's kernel does not grow upload after
upload. The served app (Voila): no traceback for a widget it does not have, 404s where Voila said 500, and
nothing left running after SIGHUP or SIGKILL of `cat-classifier app`."""
import io, json, os, signal, socket, struct, subprocess, sys, threading, time, tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cat_classifier.serve import OWNER_ENV, ModelClient, process_token, recv_frame, send_frame
from conftest import app_pids, model_processes, peak_mb, rss_mb, toy_runtime_model, voila_pids


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()


def red_photo() -> bytes:
    return encode(Image.new('RGB', (400, 300), (220, 40, 40)), 'JPEG')


@pytest.fixture
def toy(tmp_path):
    "A fast toy model (its runtime kept, so its process starts without torch), its settings and a client for it."
    base, ini = tmp_path/'run', tmp_path/'settings.ini'
    # A small decoding budget, so that toy-sized pictures show what 50-MP ones do under the real one.
    ini.write_text('[model]\nmax_upload_mb = 10\n[app]\nmodel_idle_s = 600\ndecode_mb = 100\nrequest_s = 2\n')
    model = toy_runtime_model(tmp_path/'model', base, ini)
    client = ModelClient(model, ini, base=base, start_timeout=120)
    client.start()
    yield client
    client.stop()


def pid_of(client) -> int: return int((client.dir/'pid').read_text())


def test_large_pictures_decode_within_the_budget_and_a_photo_is_answered_beside_them(toy):
    # 16 MP each: 64 MB decoded as RGB, two of them more than the 100 MB budget: they decode one at a time.
    big = encode(Image.new('RGB', (4000, 4000), (40, 180, 60)), 'PNG')
    pid = pid_of(toy)
    before = rss_mb(pid)
    took = {}
    def small():
        time.sleep(0.5)  # once the large ones are queued
        t = time.monotonic(); res = toy.predict(red_photo()); took['small'] = time.monotonic() - t
        return res
    with ThreadPoolExecutor(7) as ex:
        bigs = [ex.submit(toy.predict, big) for _ in range(6)]
        res = ex.submit(small).result()
        answers = [f.result() for f in bigs]
    assert all('label' in a for a in answers) and 'label' in res
    # Six at once would take 6 × 64 MB; one at a time, one.
    assert peak_mb(pid) - before < 100, (before, peak_mb(pid))
    print(f'model process: {before:.0f} MB before, peak {peak_mb(pid):.0f} MB; small photo answered in {took["small"]:.2f} s')


def test_a_picture_larger_than_the_budget_is_refused_and_a_phone_photo_is_not(toy):
    webp = encode(Image.new('RGB', (3000, 3000), (40, 180, 60)), 'WEBP')  # 4 copies × 36 MB: over 100 MB
    assert 'more than this app decodes at once in WEBP' in toy.predict(webp)['error']
    phone = encode(Image.fromarray(np.random.default_rng(0).integers(0, 255, (3000, 4000, 3), np.uint8)), 'JPEG')
    assert 'label' in toy.predict(phone)  # 12 MP: decoded at an eighth of its size


def test_the_page_gets_a_thumbnail_of_the_photo(toy):
    res = toy.predict(red_photo(), thumbnail=224)
    assert Image.open(io.BytesIO(res['thumbnail'])).size == (224, 168)
    assert 'thumbnail' not in toy.predict(red_photo())


def test_a_hung_model_process_is_replaced_by_exactly_one(toy):
    old = pid_of(toy)
    os.kill(old, signal.SIGSTOP)  # alive, holding its socket, answering nothing
    said = []
    clients = [ModelClient(toy.model, toy.settings, base=toy.base) for _ in range(3)]
    t = time.monotonic()
    with ThreadPoolExecutor(3) as ex:
        res = list(ex.map(lambda c: c.predict(red_photo(), on_start=said.append), clients))
    took = time.monotonic() - t
    assert all('label' in r for r in res), res
    assert 'The model stopped answering: starting it again' in said
    new = pid_of(toy)
    assert new != old and model_processes(Path(toy.base)) == [new]  # the stopped one was killed; one replaced it
    assert took < 60, took  # 5 s without an answer, 5 s for `card`, then the start: ~15 s on a quiet machine
    print(f'verdict {took:.1f} s after the model process hung')


def raw_request(client, secret: bytes, *frames: bytes, timeout: float=10) -> bytes:
    "Send `frames` after `secret` and return what comes back (b'' if the process closed the connection)."
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(str(client.dir/'sock'))
        for f in (secret, *frames): send_frame(s, f)
        try: return recv_frame(s, 1 << 20)
        except ConnectionError: return b''


def test_malformed_and_dripping_requests_are_closed_with_one_line_each(toy):
    secret, log = (toy.dir/'secret').read_bytes(), toy.dir/'log'
    n = len(log.read_text().splitlines())
    for frame in [b'[' * 4000, b'{"op": ', b'"card"', b'\xff\xfe']:
        assert raw_request(toy, secret, frame) == b''
    # A byte at a time, never the whole request: closed when the request's deadline (2 s here) passes.
    t = time.monotonic()
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(toy.dir/'sock'))
        send_frame(s, secret)
        s.sendall(struct.pack('>I', 100))
        s.settimeout(0.25)
        try:
            for _ in range(40):
                s.sendall(b'{')
                try:
                    if s.recv(1) == b'': break  # closed by the process
                except socket.timeout: pass
        except ConnectionError: pass
    assert time.monotonic() - t < 8
    end = time.monotonic() + 5
    while len(lines := log.read_text().splitlines()[n:]) < 5 and time.monotonic() < end: time.sleep(0.1)
    assert len(lines) == 5 and 'RecursionError' in lines[0] and 'timed out' in lines[-1], lines
    assert all('Traceback' not in line for line in lines)
    assert toy.card()['n_classes'] == 3  # and it still serves


def test_a_model_process_stops_when_the_app_that_owns_it_has_gone(tmp_path):
    base = tmp_path/'run'
    model = toy_runtime_model(tmp_path/'model', base)
    owner = subprocess.Popen(['sleep', '600'])
    os.environ[OWNER_ENV] = process_token(owner.pid)
    try:
        client = ModelClient(model, base=base)
        client.start()
    finally: del os.environ[OWNER_ENV]
    pid = pid_of(client)
    owner.kill(); owner.wait()
    end = time.monotonic() + 10
    while model_processes(base) and time.monotonic() < end: time.sleep(0.2)
    assert model_processes(base) == [], 'the model process outlived its app'
    assert not (client.dir/'sock').exists()


class CannedModel:
    "A model process that answers every photo at once, with a thumbnail: the page alone is measured."
    def __init__(self):
        self.thumb = encode(Image.new('RGB', (224, 168), 'orange'), 'JPEG')
    def card(self): return dict(card=dict(categories=['a', 'b', 'c']), n_classes=3)
    def predict(self, data, on_start=None, thumbnail=0):
        return dict(label='a', probability=0.9, confident=True, top=[['a', 0.9], ['b', 0.05], ['c', 0.05]],
                    thumbnail=self.thumb)


def test_the_page_does_not_grow_upload_after_upload():
    import ipywidgets as widgets
    from cat_classifier.app import App
    from cat_classifier.testing import upload_value
    app = App(client=CannedModel())
    photo = red_photo()
    def upload(n_files=3): app.upload.value = upload_value([(f'{i}.jpg', photo) for i in range(n_files)])
    for _ in range(5): upload()
    tracemalloc.start()
    n, before = len(widgets.Widget.widgets), tracemalloc.get_traced_memory()[0]
    for _ in range(100): upload()
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert len(app.results.children) == 3
    assert len(widgets.Widget.widgets) == n  # the replaced tiles' widgets were closed
    assert grown < 2_000_000, grown  # bytes: 0.5 MB measured over 100 uploads (the issue: <= 5 MB over 150)


# The served app: these start Voila on the trained toy model (the session's `toy_model`), as test_app.py does.

async def _comm_open(ws_url: str, cookie: str, wait: float=8) -> list:
    "Open a comm for a widget model the page does not have; return every message the kernel sends back, as text."
    import asyncio, uuid
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect
    from test_app import _msg
    ws = await websocket_connect(HTTPRequest(ws_url, headers={'Cookie': cookie}))
    state = dict(_model_name="NoSuchModel", _model_module="@jupyter-widgets/controls", _model_module_version="2.0.0")
    msg = json.loads(_msg('comm_open', dict(comm_id=uuid.uuid4().hex, target_name='jupyter.widget',
                                            data=dict(state=state, buffer_paths=[]))))
    msg['metadata'] = dict(version='2.1.0')  # the widget protocol's: the kernel then looks the model up
    await ws.write_message(json.dumps(msg))
    seen, end = [], time.time() + wait
    while time.time() < end:
        try: m = await asyncio.wait_for(ws.read_message(), 1)
        except asyncio.TimeoutError: continue
        if m is None: break
        seen.append(m if isinstance(m, str) else m.decode(errors='replace'))
    ws.close()
    return seen


def test_the_app_hides_tracebacks_answers_404_and_sighup_stops_everything(toy_model):
    import asyncio, uuid
    from cat_classifier.testing import running_app
    from conftest import kernel_pids, runtime_base
    from test_app import PAGE_TIMEOUT, open_page, status
    with running_app(toy_model, timeout=PAGE_TIMEOUT, pool_size=0) as app:
        kid, cookie = open_page(app.url)
        ws = app.url.replace('http', 'ws') + f'api/kernels/{kid}/channels?session_id={uuid.uuid4().hex}'
        replies = asyncio.run(_comm_open(ws, cookie))
        assert not any('Traceback' in m or 'NoSuchModel' in m for m in replies), replies
        assert 'cat-classifier page: Exception opening comm' in app.log.read_text()  # one line, in the server's log
        for path in ['voila/templates/lab/static/..%2findex.html.j2', 'voila/templates/lab/static/..%2f..%2fx',
                     'logout', 'login']:
            assert status(app.url + path) == 404, path
        assert 'Traceback' not in app.log.read_text()
        kernels, base = kernel_pids(app.log), runtime_base(app.log)
        assert kernels and model_processes(base)
        app.proc.send_signal(signal.SIGHUP)  # the terminal window was closed
        assert app.proc.wait(180) == 0
        end = time.time() + 60
        while (kernel_pids(app.log) or model_processes(base)) and time.time() < end: time.sleep(0.5)
        assert kernel_pids(app.log) == [] and model_processes(base) == []


def test_the_app_killed_leaves_nothing_running_and_its_port_free(toy_model):
    from cat_classifier.testing import running_app
    from conftest import kernel_pids, runtime_base
    from test_app import PAGE_TIMEOUT, open_page
    with running_app(toy_model, timeout=PAGE_TIMEOUT, pool_size=1, pool_fill_delay_s=1) as app:
        open_page(app.url)
        port, base = int(app.url.rsplit(':', 1)[1].strip('/')), runtime_base(app.log)
        assert voila_pids(port) and kernel_pids(app.log) and model_processes(base)
        app.proc.kill()  # SIGKILL: the supervisor stops nothing itself
        app.proc.wait()
        t, end = time.time(), time.time() + 60
        while app_pids(port, app.log) and time.time() < end: time.sleep(0.2)
        gone = time.time() - t
        assert app_pids(port, app.log) == []
        print(f'everything of the app gone {gone:.1f} s after SIGKILL')
        from cat_classifier.host import check_port
        check_port('127.0.0.1', port)  # a new app can start on the same port (the page's connections in TIME_WAIT)
