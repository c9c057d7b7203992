"""The model process without a browser: one per model, the same answers as `cat-classifier predict`, a
private channel that refuses a client without the secret, and a restart after it was killed."""
import json, os, signal, socket, stat, time
from pathlib import Path

import pytest

from cat_classifier.testing import make_toy_images
from cat_classifier.serve import ModelClient, recv_frame, send_frame
from conftest import cli, model_processes


@pytest.fixture(scope='module')
def client(toy_model, tmp_path_factory):
    c = ModelClient(toy_model, base=tmp_path_factory.mktemp('run'))
    c.start()
    yield c
    c.stop()


@pytest.fixture(scope='module')
def photos(tmp_path_factory):
    return make_toy_images(tmp_path_factory.mktemp('photos'), n=2, seed=21)


def test_the_channel_is_private(client):
    assert stat.S_IMODE(client.dir.stat().st_mode) == 0o700 and stat.S_IMODE(client.dir.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((client.dir/'secret').stat().st_mode) == 0o600


@pytest.mark.parametrize('secret', [b'', b'0' * 64, b'x' * 300])
def test_a_client_without_the_secret_is_refused(client, secret):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(30)
        s.connect(str(client.dir/'sock'))
        try:
            send_frame(s, secret)  # the process answers, or hangs up, before it reads any request
            answer = recv_frame(s, 1000)
        except ConnectionError: answer = b''  # an oversized secret: the connection is dropped
    assert b'card' not in answer and answer in (b'{"error": "refused"}', b'')
    assert client.card()['n_classes'] == 3  # and the process still serves the others


def test_the_same_answers_as_the_command_line(client, photos, toy_project):
    files = sorted(photos.rglob('*.jpg'))
    # One photo per forward, as the page sends one upload: in a batch of several the last digits can differ.
    r = cli('predict', *files, '--model', toy_project[2], '--bs', 1)
    expected = [json.loads(line) for line in r.stdout.splitlines()]
    for f, e in zip(files, expected):
        assert client.predict(f.read_bytes()) == {k: v for k, v in e.items() if k != 'file'}, f.name


def test_requests_that_arrive_together_are_answered(client, photos):
    from concurrent.futures import ThreadPoolExecutor
    files = sorted(photos.rglob('*.jpg')) * 3
    with ThreadPoolExecutor(len(files)) as ex: res = list(ex.map(lambda f: client.predict(f.read_bytes()), files))
    assert [r['label'] for r in res] == [client.predict(f.read_bytes())['label'] for f in files]


def test_killed_it_starts_again_and_one_process_for_many_clients(client, photos, toy_model):
    pid = int((client.dir/'pid').read_text())
    os.kill(pid, signal.SIGKILL)
    f = photos/'red_circle'/'red_circle_000.jpg'
    from concurrent.futures import ThreadPoolExecutor
    clients, said = [ModelClient(toy_model, base=client.base) for _ in range(5)], []
    with ThreadPoolExecutor(5) as ex:
        res = list(ex.map(lambda c: c.predict(f.read_bytes(), on_start=said.append), clients))
    # Requests that arrive together share a batch, which can change the last digits of a probability.
    assert all(r['label'] == res[0]['label'] and abs(r['probability'] - res[0]['probability']) < 1e-5 for r in res)
    assert 'label' in res[0]
    assert said  # the pages were told that the model is starting
    new = int((client.dir/'pid').read_text())
    assert new != pid and model_processes(Path(client.base)) == [new]

