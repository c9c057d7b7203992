"""Measure the `unknown_threshold` of settings.ini on real photos, and suggest one.

For thresholds from 0.30 to 0.95 it prints the share of photos of other things that the app would call
"none of the breeds I know" (higher is better) and the share of real breed photos it would wrongly call
that (lower is better), with the accuracy on the breed photos it keeps. It suggests the highest
threshold that wrongly rejects at most --max-false-rejections of the breed photos.

Then, for the breed threshold of settings.ini (or --threshold), it adds the second gate, "is this a cat at
all?" (ImageNet's domestic-cat probability, `cat_probability`), and prints the same rates with both gates
combined for cat thresholds from 0.01 to 0.5, suggesting the highest `cat_threshold` that keeps the
combined false rejections at most --max-false-rejections.

    .venv/bin/python benchmarks/calibrate_unknown.py [--model PATH] [--positives DIR] [--per-class N] [--threshold T]

Positives: photos of the breeds, one folder per breed, that the model was NOT trained on (default: the
settings' holdout_path). Negatives: scikit-image's sample photos, imageio's (when cached), synthetic
images. scikit-image's Chelsea, a tabby (a cat, but none of the breeds), is reported on its own.
"""
import argparse, sys, time, warnings
from pathlib import Path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', help='model file (default: settings model_path)')
    p.add_argument('--positives', help='breed photos the model was not trained on, one folder per breed (default: settings holdout_path)')
    p.add_argument('--per-class', type=int, default=0, help='at most this many positives per breed (0: all)')
    p.add_argument('--max-false-rejections', type=float, default=0.05, help='share of breed photos it may wrongly reject (default 0.05)')
    p.add_argument('--threshold', type=float, help='breed threshold for the cat-gate table (default: settings unknown_threshold)')
    a = p.parse_args(argv)
    warnings.simplefilter('ignore')
    import pandas as pd
    from fastai.vision.all import get_image_files
    from skimage import data as skdata
    from cat_classifier.core import InputError, load_settings
    from cat_classifier.export import load_model
    from cat_classifier.calibrate import as_image, reference_negatives, suggest_threshold, unknown_rates
    from cat_classifier.predict import predict_image
    from cat_classifier.runtime import CAT_THRESHOLD, Thresholds

    s = load_settings()
    pos_dir = Path(a.positives or s.holdout_path)
    files = get_image_files(pos_dir) if pos_dir.is_dir() else []
    if not files: sys.exit(f'no photos under {pos_dir}: pass --positives DIR (one folder of photos per breed, not trained on)')
    if a.per_class: files = [f for c in sorted({f.parent for f in files}) for f in sorted(files.filter(lambda o: o.parent == c))[:a.per_class]]
    try: learn = load_model(a.model or s.model_path)
    except InputError as e: sys.exit(str(e))
    negs = reference_negatives()
    print(f'model: {a.model or s.model_path} ({learn.card.get("backbone")}, {", ".join(learn.dls.vocab)})')
    print(f'positives: {len(files)} photos under {pos_dir}; negatives: {len(negs)} images '
          f'({sum(k.startswith("skimage") for k in negs)} scikit-image, {sum(k.startswith("imageio") for k in negs)} imageio, '
          f'{sum(k.startswith("synthetic") for k in negs)} synthetic)\n')
    start = time.time()
    rates = unknown_rates(learn, negs.values(), files)
    pd.set_option('display.width', 120)
    print(rates.drop(columns=['n_negatives', 'n_positives']).to_string(index=False, float_format=lambda x: f'{x:.3f}'))
    t = suggest_threshold(rates, a.max_false_rejections)
    row = rates.set_index('threshold').loc[t]
    print(f'\nsuggested unknown_threshold = {t:.2f}: rejects {row.rejected_negatives:.0%} of the negatives, '
          f'wrongly rejects {row.false_rejections:.1%} of the breed photos (current setting: {s.unknown_threshold})')
    bt = s.unknown_threshold if a.threshold is None else a.threshold
    cts = [0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5]
    both = unknown_rates(learn, negs.values(), files, thresholds=[bt], cat_thresholds=cts)
    print(f'\nboth gates, breed threshold {bt}: a photo is kept if its top breed probability >= {bt} '
          f'and its ImageNet cat probability >= cat_threshold (0: the breed gate alone)')
    print(both.drop(columns=['threshold', 'n_negatives', 'n_positives']).to_string(index=False, float_format=lambda x: f'{x:.3f}'))
    ct = suggest_threshold(both[both.cat_threshold > 0], a.max_false_rejections, col='cat_threshold')
    row = both.set_index('cat_threshold').loc[ct]
    print(f'\nsuggested cat_threshold = {ct:g} (with unknown_threshold = {bt}): rejects {row.rejected_negatives:.0%} of the negatives, '
          f'wrongly rejects {row.false_rejections:.1%} of the breed photos (current: {s.get("cat_threshold", f"absent, default {CAT_THRESHOLD}")})')
    print(f'\nthe negatives the model is most sure about (breed threshold {bt}, cat threshold {ct:g}):')
    scores = [(predict_image(learn, im, thresholds=Thresholds(bt, ct)), name) for name, im in negs.items()]
    for r, name in sorted(scores, key=lambda o: -o[0]['probability'])[:5]:
        print(f'  {name:<32} {r["label"]:<20} {r["probability"]:.3f}  cat {r["cat_probability"]:.3f} -> {"called a breed" if r["confident"] else "rejected"}')
    r = predict_image(learn, as_image(skdata.chelsea()), thresholds=Thresholds(bt, ct))
    print(f'\nChelsea (a tabby, none of the breeds): {r["label"]} {r["probability"]:.3f}, cat probability {r["cat_probability"]:.3f} -> '
          f'{"called a breed" if r["confident"] else "called unknown"} at {bt:.2f} / {ct:g}')
    print(f'({time.time() - start:.0f} s)')


if __name__ == '__main__':
    main()
