"""The prediction path that the command line and the app share: reading awkward files, and answers that
do not depend on how the photo arrived."""
import io, random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cat_classifier.core import InputError
from cat_classifier.images import load_image
from cat_classifier.predict import predict_files, predict_image
from cat_classifier.runtime import Thresholds
from cat_classifier.testing import awkward_files, make_toy_images


@pytest.fixture(scope='session')
def toy(tmp_path_factory):
    return make_toy_images(tmp_path_factory.mktemp('toy'), n=2, seed=7)


@pytest.fixture(scope='session')
def awkward(tmp_path_factory):
    return awkward_files(tmp_path_factory.mktemp('awkward'))


def test_awkward_files_each_get_their_message_or_read(awkward):
    for f, msg in awkward.items():
        for src in (f, f.read_bytes(), memoryview(f.read_bytes())):
            if msg is None:
                im = load_image(src)
                assert im.mode == 'RGB' and min(im.size) > 0, f.name
            else:
                with pytest.raises(InputError) as e: load_image(src)
                assert str(e.value).startswith(msg) and '\n' not in str(e.value), (f.name, str(e.value))


def test_messages_say_what_to_do(awkward):
    msgs = {f.name: str(pytest.raises(InputError, load_image, f).value) for f, m in awkward.items() if m}
    assert msgs['huge.jpg'] == 'the file is 10.5 MB, larger than the 10 MB limit: send a smaller photo'
    assert msgs['photo.heic'].startswith('HEIC format not supported: use JPEG, PNG, WebP, GIF, BMP or TIFF')
    assert msgs['unknown.jpg'] == 'format not supported: use JPEG, PNG, WebP, GIF, BMP or TIFF'
    assert 'megapixel limit' in msgs['bomb.png']


def test_transparency_is_white_and_orientation_upright(awkward):
    rgba = Image.new('RGBA', (10, 6), (0, 0, 0, 0)); b = io.BytesIO(); rgba.save(b, 'PNG')
    assert load_image(b.getvalue()).getpixel((0, 0)) == (255, 255, 255)
    d = next(iter(awkward)).parent
    assert load_image(d/'sideways.jpg').size == load_image(d/'photo.jpg').size[::-1]


def _variants(data: bytes, n: int, seed: int):
    "Truncations and byte flips of `data`: what a bad disk or a broken download makes."
    rng = random.Random(seed)
    for _ in range(n):
        b = bytearray(data[:rng.randrange(1, len(data))] if rng.random() < 0.4 else data)
        for _ in range(rng.randrange(1, 8)): b[rng.randrange(len(b))] = rng.randrange(256)
        yield bytes(b)


@pytest.mark.parametrize('fmt', ['JPEG', 'PNG', 'GIF', 'WEBP', 'TIFF', 'BMP'])
def test_damaged_files_never_raise_anything_but_caterror(fmt):
    im = Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 50, 3), dtype=np.uint8))
    b = io.BytesIO(); im.save(b, fmt); data = b.getvalue()
    for v in _variants(data, 60, seed=sum(map(ord, fmt))):
        try: assert load_image(v, max_bytes=0).mode == 'RGB'
        except InputError as e: assert '\n' not in str(e)


def test_same_answer_from_disk_and_from_upload(learn, toy):
    f = toy/'red_circle'/'red_circle_000.jpg'
    from_disk = next(predict_files(learn, [f]))
    from_upload = predict_image(learn, load_image(memoryview(f.read_bytes())))
    assert from_disk == dict(file=str(f), **from_upload)
    assert next(predict_files(learn, [f])) == from_disk  # and every time


def test_predict_files_goes_on_after_a_bad_file(learn, toy, awkward):
    d = next(iter(awkward)).parent
    files = [d/'notes.jpg', toy/'green_square'/'green_square_000.jpg', d/'missing.jpg', d/'cmyk.jpg']
    out = list(predict_files(learn, files))
    keys = ['cat', 'cat_probability', 'confident', 'file', 'label', 'name', 'probability', 'top']
    assert [sorted(o) for o in out] == [['error', 'file'], keys, ['error', 'file'], keys]
    assert [o['file'] for o in out] == list(map(str, files))
    assert all(len(o['top']) == 3 and o['top'][0] == [o['label'], o['probability']] for o in out if 'top' in o)


def test_unknown_follows_the_threshold(learn, toy):
    img = load_image(toy/'blue_triangle'/'blue_triangle_000.jpg')
    p = predict_image(learn, img)['probability']
    assert predict_image(learn, img, thresholds=Thresholds(p, 0))['confident'] is True
    assert predict_image(learn, img, thresholds=Thresholds(p + 1e-6, 0))['confident'] is False


def test_unknown_when_not_a_cat(learn, toy):
    img = load_image(toy/'blue_triangle'/'blue_triangle_000.jpg')
    res = predict_image(learn, img, thresholds=Thresholds(unknown=0))
    assert res['cat_probability'] < 0.1 and res['cat'] is False and res['confident'] is False  # a blue triangle is no cat
    assert predict_image(learn, img, thresholds=Thresholds(0, res['cat_probability']))['confident'] is True


def test_cat_probability_on_real_photos():
    from skimage import data as skdata
    from cat_classifier.predict import cat_probability
    assert cat_probability(Image.fromarray(skdata.chelsea())) > 0.5
    assert cat_probability(Image.fromarray(skdata.astronaut())) < 0.1
    assert cat_probability(Image.fromarray(skdata.coffee())) < 0.1
