"""Fast and portable inference: batched answers equal to one photo at a time, the direct view equal to fastai's
pipeline, the weights-only model equal to the pickle without unpickling, ONNX equal to torch, and the warnings
that are silenced (and those that are not)."""
import json, shutil, subprocess, sys, warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cat_classifier.testing import make_toy_images
from cat_classifier.images import centre_square, load_image
from cat_classifier.predict import direct_tfm, predict_files, predict_image, predict_images
from cat_classifier.runtime import Thresholds, chw
from conftest import cli


@pytest.fixture(scope='session')
def photos(tmp_path_factory):
    "20 drawn photos of the toy classes, some wider and some taller than square."
    d = make_toy_images(tmp_path_factory.mktemp('photos'), n=7, size=96, seed=11)
    files = sorted(d.rglob('*.jpg'))[:20]
    for i, f in enumerate(files[:6]):
        im = Image.open(f); im.resize((96 + 17*i, 96) if i % 2 else (96, 96 + 23*i)).save(f)
    return files


def same_answers(a: list[dict], b: list[dict], eps: float=1e-5):
    "The same keys, labels and flags, and probabilities equal up to the float rounding of different batch sizes."
    assert [sorted(o) for o in a] == [sorted(o) for o in b]
    for x, y in zip(a, b):
        assert {k: v for k, v in x.items() if k not in ('probability', 'top', 'cat_probability')} == \
               {k: v for k, v in y.items() if k not in ('probability', 'top', 'cat_probability')}
        if 'top' in x:
            assert [l for l, _ in x['top']] == [l for l, _ in y['top']]
            assert np.allclose([p for _, p in x['top']] + [x['cat_probability']], [p for _, p in y['top']] + [y['cat_probability']], atol=eps, rtol=0)


def test_direct_view_is_fastais_validation_view(learn, photos):
    from fastai.vision.all import PILImage
    size, mean, std = direct_tfm(learn)
    for f in photos[:6]:
        im = load_image(f)
        x_fastai = learn.dls.test_dl([PILImage.create(im.copy())]).one_batch()[0].cpu()
        view = torch.from_numpy(chw(im, size))[None]
        assert torch.equal(((x_fastai * std + mean) * 255).round().to(torch.uint8), view)  # the same pixels
        assert torch.allclose((view.float() / 255 - mean) / std, x_fastai, atol=1e-4)


def test_batched_answers_are_the_one_at_a_time_answers(learn, photos):
    imgs = [load_image(f) for f in photos]
    single = [predict_image(learn, im, thresholds=Thresholds(0.5, 0.1)) for im in imgs]
    for bs in (1, 3, 32):
        same_answers(predict_images(learn, imgs, thresholds=Thresholds(0.5, 0.1), bs=bs), single)
    assert all(r['name'] == r['label'].replace('_', ' ') for r in single)


def test_single_photo_path_agrees_with_learn_predict(learn, photos):
    from fastai.vision.all import PILImage
    from cat_classifier.predict import cat_probability
    vocab = list(learn.dls.vocab)
    for f in photos[:5]:
        im = load_image(f)
        with learn.no_bar(), learn.no_logging(): probs = learn.predict(PILImage.create(im.copy()))[2]
        r = predict_image(learn, im, thresholds=Thresholds(0.5, 0.1))
        assert r['label'] == vocab[int(probs.argmax())]
        assert np.allclose([p for _, p in r['top']], [float(probs[vocab.index(l)]) for l, _ in r['top']], atol=1e-4)
        assert abs(r['cat_probability'] - cat_probability(im)) < 1e-6


def test_predict_files_reads_in_parallel_and_keeps_the_order(learn, photos, tmp_path):
    bad = tmp_path/'notes.jpg'; bad.write_text('not a photo')
    files = [bad, *photos[:7], tmp_path/'missing.jpg', *photos[7:10], bad]
    batched = list(predict_files(learn, files, bs=3, workers=3))
    assert [o['file'] for o in batched] == list(map(str, files))
    assert [('error' in o) for o in batched] == [True] + [False]*7 + [True] + [False]*3 + [True]
    same_answers(batched, [next(predict_files(learn, [f])) for f in files])


def test_weights_only_model_never_unpickles_and_answers_the_same(learn, toy_model, photos, monkeypatch):
    import pickle
    import cat_classifier.export as export
    card = json.loads(toy_model.with_suffix('.json').read_text())
    assert card['sha256'] == export.file_sha256(toy_model)
    assert card['weights']['sha256'] == export.file_sha256(toy_model.with_suffix('.safetensors'))
    assert {'backbone', 'head', 'vocab', 'image_size', 'normalize'} <= set(card['rebuild'])

    def refuse(*a, **k): raise AssertionError('unpickled')
    monkeypatch.setattr(export, 'load_learner', refuse)
    monkeypatch.setattr(pickle, 'load', refuse); monkeypatch.setattr(pickle, 'Unpickler', refuse)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        safe = export.load_model(toy_model, safe=True)
    monkeypatch.undo()
    assert not [w for w in caught if 'pickle' in str(w.message)]
    assert list(safe.dls.vocab) == list(learn.dls.vocab) and safe.card['weights'] == card['weights']
    a, b = list(predict_files(learn, photos)), list(predict_files(safe, photos))
    same_answers(a, b, eps=1e-6)  # the same weights through the same code
    assert [o['label'] for o in a] == [o['label'] for o in b]


def test_weights_only_model_is_refused_when_changed(toy_model, tmp_path):
    from cat_classifier.core import InputError
    from cat_classifier.export import load_model
    for s in ('.pkl', '.json', '.safetensors'): shutil.copy(toy_model.with_suffix(s), (tmp_path/'m').with_suffix(s))
    m = tmp_path/'m.pkl'
    with open(m.with_suffix('.safetensors'), 'ab') as f: f.write(b'\0')
    with pytest.raises(InputError, match='does not match the sha256'): load_model(m, safe=True)
    card = json.loads(m.with_suffix('.json').read_text()); del card['weights']
    m.with_suffix('.json').write_text(json.dumps(card))
    with pytest.raises(InputError, match='cat-classifier export --model'): load_model(m, safe=True)


def test_onnx_gives_the_torch_answers_on_20_photos(learn, toy_model, photos, tmp_path):
    ort = pytest.importorskip('onnxruntime')
    for s in ('.pkl', '.json'): shutil.copy(toy_model.with_suffix(s), (tmp_path/'m').with_suffix(s))
    r = cli('export', '--model', tmp_path/'m.pkl', '--onnx')
    assert 'm.onnx' in r.stdout
    card = json.loads((tmp_path/'m.json').read_text())
    assert card['sha256'] == json.loads(toy_model.with_suffix('.json').read_text())['sha256']  # the pickle is untouched
    # What docs/predictions.md shows: the centred square, RGB scaled to [0, 1], N×3×S×S; the file normalises itself.
    sess = ort.InferenceSession(str(tmp_path/'m.onnx'), providers=['CPUExecutionProvider'])
    size, vocab = card['rebuild']['image_size'], card['rebuild']['vocab']
    x = np.stack([np.asarray(centre_square(load_image(f), size), np.float32).transpose(2, 0, 1) / 255 for f in photos])
    probs = sess.run(None, {'image': x})[0]
    assert len(photos) == 20 and probs.shape == (20, len(vocab))
    answers = predict_images(learn, [load_image(f) for f in photos], k=len(vocab))
    assert [vocab[i] for i in probs.argmax(1)] == [r['label'] for r in answers]
    torch_probs = np.array([[dict(r['top'])[l] for l in vocab] for r in answers])
    assert np.abs(probs - torch_probs).max() < 1e-4


def test_no_pickle_warning_once_the_sha256_matched(toy_model):
    from cat_classifier.export import load_model
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        load_model(toy_model)
    assert not [w for w in caught if 'pickle' in str(w.message)]


def test_importing_shows_no_dependency_warnings_but_keeps_the_others():
    code = ('import warnings, cat_classifier.predict, cat_classifier.export, cat_classifier.cli\n'
            'warnings.warn("a warning of the user", FutureWarning)\n')
    r = subprocess.run([sys.executable, '-W', 'always', '-c', code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert 'torch.jit.script' not in r.stderr and 'chained_assignment' not in r.stderr, r.stderr
    assert 'a warning of the user' in r.stderr


def test_cli_predict_safe_and_folders(toy_project, photos):
    root, ini, model = toy_project
    folder = photos[0].parent.parent
    plain = [json.loads(l) for l in cli('predict', folder, settings=ini).stdout.splitlines()]
    safe = [json.loads(l) for l in cli('predict', '--safe', '--bs', 4, folder, settings=ini).stdout.splitlines()]
    assert len(plain) == len(list(folder.rglob('*.jpg'))) and [o['file'] for o in plain] == sorted(o['file'] for o in plain)
    same_answers(plain, safe, eps=1e-5)
    assert all(o['name'] == o['label'].replace('_', ' ') for o in plain)


def test_cli_evaluate_safe_gives_the_same_figures(toy_project, photos):
    root, ini, model = toy_project
    folder = photos[0].parent.parent
    plain = json.loads(cli('evaluate', folder, '--json', settings=ini).stdout)
    safe = json.loads(cli('evaluate', folder, '--json', '--safe', settings=ini).stdout)
    assert (plain['accuracy'], plain['confusion']) == (safe['accuracy'], safe['confusion'])


def test_docs_document_the_name_and_the_safe_model():
    docs = Path(__file__).parent.parent/'docs'
    cli_page, predictions = (docs/'cli.md').read_text(), (docs/'predictions.md').read_text()
    contracts = cli_page[cli_page.index('Contracts other tools can rely on'):]
    assert '"name"' in contracts and '--safe' in predictions and 'onnxruntime' in predictions
