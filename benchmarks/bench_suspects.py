"""How well `clean suspects` puts the wrong labels first: recall of a full review's decisions within the first
10 / 20 / 30% of the ranking, average precision, and the time, for three rankings of the same raw pool:

- the review's own ranking (the `loss` column of the decisions file: the model that ranked the photos for the
  review, trained on this raw pool: the in-sample ranking as users had it);
- the in-sample ranking by `--model` (default the shipped model; note that it was trained on the *cleaned* pool,
  so the photos the review deleted are out of sample for it: that flatters it);
- the new default: out of sample (pretrained features, 5-fold probe plus nearest neighbours, learnt again without
  the most doubted photos; copies of other photos and of the holdout's first, then by normalised margin).

    .venv/bin/cat-classifier download --from-folder ../shared/datasets/cat-breeds-5 --holdout 0.15
    nice -n 10 .venv/bin/python benchmarks/bench_suspects.py [--images data/images]
        [--decisions models/cleaning-decisions.csv] [--model models/cat-breeds.pkl] [--skip-in-sample]

Do not apply the decisions first: the benchmark needs the raw pool. A photo counts as a wrong label when its
action is not `keep`. The last line is JSON.
"""
import argparse, csv, dataclasses, json, re, time
from pathlib import Path
import numpy as np

def figures(ranked: list[str], wrong: set[str]) -> dict:
    "Recall of `wrong` within the first 10/20/30% of `ranked` (files, likeliest first), and average precision."
    hits = np.array([f in wrong for f in ranked])
    n, found = len(ranked), hits.cumsum()
    recall = {f'first {q:.0%}': int(found[round(q*n) - 1]) for q in (0.1, 0.2, 0.3)}
    ap = float((found[hits] / (np.flatnonzero(hits) + 1)).sum() / max(len(wrong), 1))
    return dict(recall=recall, n_wrong=len(wrong), n=n, average_precision=round(ap, 3))

def show(name: str, r: dict):
    rec = ', '.join(f'{k} {v} ({v/r["n_wrong"]:.0%})' for k, v in r['recall'].items())
    print(f'{name:<34} {rec}; AP {r["average_precision"]:.2f}; {r.get("seconds", 0):.0f} s', flush=True)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--images', default='data/images')
    ap.add_argument('--holdout', default='data/holdout', help='the holdout, whose copies in the pool are suspect too')
    ap.add_argument('--decisions', default='models/cleaning-decisions.csv')
    ap.add_argument('--model', default='models/cat-breeds.pkl')
    ap.add_argument('--skip-in-sample', action='store_true', help='skip the in-sample ranking by --model')
    ap.add_argument('--baseline-features', default='tf_efficientnet_lite0',
                    help="also rank with these [clean] features, in the same run (the default before session 8: "
                         "one network, the centre square); '' to skip")
    a = ap.parse_args()
    from cat_classifier.clean import SuspectConfig, class_noise, find_suspects
    from cat_classifier.core import load_settings
    from cat_classifier.export import load_model
    root = Path(a.images).resolve()
    rows = list(csv.DictReader(open(a.decisions, encoding='utf-8')))
    missing = [r['file'] for r in rows if not (root/r['file']).is_file()]
    if missing:
        raise SystemExit(f'{len(missing)} photos of {a.decisions} are not under {root} (applied already?): '
                         're-import the raw pool')
    wrong = {r['file'] for r in rows if r['action'] != 'keep'}
    res = {}
    res['review ranking (in sample)'] = figures([r['file'] for r in sorted(rows, key=lambda r: -float(r['loss']))],
                                                wrong)
    show('review ranking (in sample)', res['review ranking (in sample)'])
    learn = load_model(a.model)
    rel = lambda sus: [Path(o['file']).resolve().relative_to(root).as_posix() for o in sus]
    if not a.skip_in_sample:
        t = time.perf_counter()
        sus = find_suspects(learn, images_path=root, in_sample=True)
        res['in sample, --model'] = figures(rel(sus), wrong) | dict(seconds=round(time.perf_counter() - t, 1))
        show('in sample, --model', res['in sample, --model'])
    cfg = SuspectConfig.from_settings(load_settings())
    runs = [(f'out of sample, {a.baseline_features}', dataclasses.replace(cfg, features=a.baseline_features))]
    for name, c in (runs if a.baseline_features else []) + [('out of sample (default)', cfg)]:
        t, cpu = time.perf_counter(), time.process_time()
        sus = find_suspects(learn, images_path=root, holdout_path=a.holdout, cfg=c, show=True)
        res[name] = figures(rel(sus), wrong) | dict(seconds=round(time.perf_counter() - t, 1),
                                                    cpu_seconds=round(time.process_time() - cpu, 1))
        show(name, res[name])
    if a.baseline_features:
        before, now = res[runs[0][0]], res['out of sample (default)']
        print(f"default against {a.baseline_features}: first 20% {now['recall']['first 20%']} against "
              f"{before['recall']['first 20%']}, AP {now['average_precision']:.3f} against "
              f"{before['average_precision']:.3f}, time {now['seconds'] / max(before['seconds'], 1e-9):.2f}x")
    base = res['review ranking (in sample)']['recall']['first 20%']
    print(f"first 20%: {res['out of sample (default)']['recall']['first 20%'] / max(base, 1):.2f}x the review's ranking")
    by_reason = {}
    for o in sus:
        for why in filter(None, (re.sub(r"( of |'s ).*", '', w.split(':')[0]) for w in o['reason'].split('; '))):
            f = rel([o])[0]
            by_reason.setdefault(why, [0, 0])[0] += 1
            by_reason[why][1] += f in wrong
    print('reasons (photos, of them decided against in the review):', by_reason)
    noise = class_noise(sus, learn.dls.vocab)
    truth = {c: sum(f.split('/')[0] == c for f in wrong) for c in learn.dls.vocab}
    for c, (est, total) in noise.items(): print(f'{c}: estimated {est} wrong of {total}; the review: {truth[c]}')
    print(json.dumps(dict(results=res, reasons=by_reason, noise=noise, review=truth)))

if __name__ == '__main__': main()
