"""How fast a photo gets its answer, on the same photos and model in one run. Per photo: the raw forward of the
breed model (batch of 1), `learn.predict`, the single-photo path (`predict_image`: both models), and over -n
files the one-at-a-time path as it was before batching (read, `learn.predict`, then the ImageNet gate in PyTorch, per
photo: the baseline) and the batched path (`predict_files`). Also whether the weights-only model (--safe) and the ONNX
file give the same top-1 on every photo. Start-up (loading the models) is not counted. Last line: JSON.

    .venv/bin/python benchmarks/bench_predict.py --images DIR [--model PATH] [-n 300] [--single 40] [--threads N]

Run it on an idle machine. DIR holds photos (in any folders below it); -n of them are drawn with a fixed seed.
The model defaults to the shipped one, which needs its weights-only and ONNX files (`cat-classifier export --model models/cat-breeds.pkl --onnx`).
"""
import argparse, json, random, statistics, sys, time, warnings
from pathlib import Path


def per_photo(f, items) -> list[float]:
    "Seconds that `f(o)` takes for each of `items`."
    out = []
    for o in items:
        t = time.perf_counter(); f(o); out.append(time.perf_counter() - t)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--images', required=True, help='folder of photos (searched recursively)')
    p.add_argument('--model', help='exported model (default: settings model_path)')
    p.add_argument('-n', type=int, default=300, help='photos for the batched and the one-at-a-time paths (default: 300)')
    p.add_argument('--single', type=int, default=40, help='photos for the per-photo timings (default: 40)')
    p.add_argument('--threads', type=int, help="torch's threads (default: torch's choice, one per core); 1 steadies the figures on a busy machine")
    a = p.parse_args(argv)
    warnings.simplefilter('ignore')
    import torch
    if a.threads: torch.set_num_threads(a.threads)
    from fastai.vision.all import PILImage, get_image_files
    from cat_classifier.core import load_settings
    from cat_classifier.export import load_model, read_card
    import numpy as np
    from PIL import Image, ImageOps
    from cat_classifier.backbones import GATE, imagenet_model
    from cat_classifier.images import centre_square, load_image
    from cat_classifier.predict import cat_probability, direct_tfm, predict_files, predict_image
    from cat_classifier.runtime import Thresholds, chw
    model = Path(a.model or load_settings().model_path)
    files = sorted(get_image_files(a.images))
    if len(files) < a.n: sys.exit(f'{a.images} has {len(files)} photos, fewer than -n {a.n}')
    files = sorted(random.Random(0).sample(files, a.n))
    learn = load_model(model)
    tfm = direct_tfm(learn)
    imgs = [load_image(f) for f in files[:a.single]]
    print(f'{model.name}, {torch.get_num_threads()} torch threads, {len(files)} photos from {a.images}', flush=True)

    # First what PyTorch does alone, before the project's path has run: onnxruntime and the gate's thread are not
    # there yet to share the cores with PyTorch's threads. Run it on an idle machine: the phases are not interleaved.
    views = [((torch.from_numpy(chw(im, tfm.size)).float() / 255 - tfm.mean) / tfm.std).contiguous() for im in imgs]
    learn.model.eval()
    def raw(x):
        with torch.inference_mode(): learn.model(x)
    def fastai_predict(im):
        with learn.no_bar(), learn.no_logging(): learn.predict(PILImage.create(im.copy()))
    gate = imagenet_model(GATE)
    def old_gate(im):
        "The ImageNet gate as it ran before: in PyTorch, on its own resize of the photo."
        side = min(im.size)
        x = np.asarray(ImageOps.fit(im, (side, side)).resize((224, 224), Image.BILINEAR), dtype=np.float32)
        with torch.inference_mode(): return gate((torch.from_numpy(x).permute(2, 0, 1)[None] / 255 - 0.5) / 0.5)
    def before(f):
        "The one-at-a-time path as it was: read, `learn.predict`, then the ImageNet gate, all in PyTorch."
        im = load_image(f)
        with learn.no_bar(), learn.no_logging(): probs = learn.predict(PILImage.create(im.copy()))[2]
        old_gate(im)
        return learn.dls.vocab[int(probs.argmax())]
    raw(views[0]), fastai_predict(imgs[0]), before(files[0])  # warm up
    t_raw, t_learn = (statistics.median(per_photo(f, xs)) for f, xs in ((raw, views), (fastai_predict, imgs)))
    t = time.perf_counter(); old = [before(f) for f in files]; t_old = (time.perf_counter() - t) / len(files)

    predict_image(learn, imgs[0], thresholds=Thresholds(0.5, 0.1))  # start-up: both models readied once
    t_single = statistics.median(per_photo(lambda im: predict_image(learn, im, thresholds=Thresholds(0.5, 0.1)), imgs))
    print(f'per photo (median of {len(imgs)}): raw forward {t_raw*1e3:.1f} ms, learn.predict {t_learn*1e3:.1f} ms, '
          f'single-photo path {t_single*1e3:.1f} ms = {t_single/t_raw:.2f} x the raw forward', flush=True)
    t = time.perf_counter()
    new = list(predict_files(learn, files, thresholds=Thresholds(0.5, 0.1)))
    t_new = (time.perf_counter() - t) / len(files)
    same_old = sum(o == r['label'] for o, r in zip(old, new))
    print(f'over {len(files)} photos: one at a time {t_old*1e3:.1f} ms/photo, batched {t_new*1e3:.1f} ms/photo '
          f'= {t_old/t_new:.2f} x faster; same top-1 on {same_old}/{len(files)}', flush=True)

    safe = load_model(model, safe=True)
    safe_out = list(predict_files(safe, files, thresholds=Thresholds(0.5, 0.1)))
    same_safe = sum(s['label'] == r['label'] for s, r in zip(safe_out, new))
    max_safe = max(abs(p - q) for s, r in zip(safe_out, new) for (_, p), (_, q) in zip(s['top'], r['top']))
    res_onnx = {}
    card = read_card(model)
    if 'onnx' in card:
        import numpy as np, onnxruntime as ort
        sess = ort.InferenceSession(str(model.with_name(card['onnx']['file'])), providers=['CPUExecutionProvider'])
        size, vocab = card['rebuild']['image_size'], card['rebuild']['vocab']
        labels = []
        for i in range(0, len(files), 32):
            x = np.stack([np.asarray(centre_square(load_image(f), size), np.float32).transpose(2, 0, 1) / 255 for f in files[i:i+32]])
            labels += [vocab[j] for j in sess.run(None, {'image': x})[0].argmax(1)]
        res_onnx = dict(onnx_same_top1=sum(l == r['label'] for l, r in zip(labels, new)))
    print(f"--safe: same top-1 on {same_safe}/{len(files)} (largest probability difference {max_safe:.1e}); "
          f"ONNX: same top-1 on {res_onnx.get('onnx_same_top1', 'n/a')}/{len(files)}", flush=True)
    print(json.dumps(dict(model=model.name, n=len(files), n_single=len(imgs), raw_forward_ms=round(t_raw*1e3, 2),
                          learn_predict_ms=round(t_learn*1e3, 2), single_path_ms=round(t_single*1e3, 2),
                          single_over_raw=round(t_single/t_raw, 2), one_at_a_time_ms=round(t_old*1e3, 2),
                          batched_ms=round(t_new*1e3, 2), batched_speedup=round(t_old/t_new, 2), same_top1_as_before=same_old,
                          safe_same_top1=same_safe, safe_max_prob_diff=max_safe, **res_onnx)))


if __name__ == '__main__': main()
