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
        [--subsets 40 --subset-size 300]

`--subsets N` also estimates what a small pool gets (a user's 300 photos): the default and the baseline rank N
random subsets of the pool, the same subsets for both, from features computed once; it prints the mean ± sd of
the share of each subset's wrong labels in its first fifth, and the paired difference.

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
    ap.add_argument('--baseline-features', default='tf_efficientnet_lite0, tf_efficientnet_lite1',
                    help="also rank with these [clean] features, in the same run; '' to skip")
    ap.add_argument('--baseline-probe-c', type=float, default=1.0,
                    help="and this probe C (the default before session 9: Lite0 and Lite1, C 1)")
    ap.add_argument('--subsets', type=int, default=0, help='also rank this many random subsets (small pools)')
    ap.add_argument('--subset-size', type=int, default=300)
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
    baseline = dataclasses.replace(cfg, features=a.baseline_features, probe_c=a.baseline_probe_c)
    runs = [(f'out of sample, {a.baseline_features}, C {a.baseline_probe_c:g}', baseline)]
    for name, c in (runs if a.baseline_features else []) + [('out of sample (default)', cfg)]:
        t, cpu = time.perf_counter(), time.process_time()
        sus = find_suspects(learn, images_path=root, holdout_path=a.holdout, cfg=c, show=True)
        res[name] = figures(rel(sus), wrong) | dict(seconds=round(time.perf_counter() - t, 1),
                                                    cpu_seconds=round(time.process_time() - cpu, 1))
        show(name, res[name])
    if a.baseline_features:
        before, now = res[runs[0][0]], res['out of sample (default)']
        print(f"default against {runs[0][0][15:]}: first 20% {now['recall']['first 20%']} against "
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
    if a.subsets: res['subsets'] = small_pools(sus, root, wrong, learn.dls.vocab, cfg, baseline, a)
    print(json.dumps(dict(results=res, reasons=by_reason, noise=noise, review=truth)))

def small_pools(sus: list[dict], root: Path, wrong: set, vocab: list, cfg, baseline, a) -> dict:
    "The share of wrong labels in the first fifth of random subsets, ranked as `find_suspects` ranks, for both configs."
    from cat_classifier.clean import class_noise, image_features, noise_by_class, pruned_probs, suspect_order
    files = [Path(o['file']) for o in sus]
    labels = np.array([list(vocab).index(o['label']) for o in sus])
    is_wrong = np.array([f in wrong for f in [Path(f).resolve().relative_to(root).as_posix() for f in files]])
    copy = np.array(['near-duplicate' in o['reason'] or 'same photo' in o['reason'] for o in sus])
    cache = {}
    def feats(c): return [cache.setdefault((n, k), image_features(files, n, k, show=True)[0]) for n, k in c.networks()]
    rng, out = np.random.default_rng(0), {}
    subsets = [np.sort(rng.choice(len(files), a.subset_size, replace=False)) for _ in range(a.subsets)]
    for name, c in ([('baseline', baseline)] if baseline.features else []) + [('default', cfg)]:
        fs, shares, counts = feats(c), [], []
        for idx in subsets:
            p = pruned_probs([f[idx] for f in fs], labels[idx], len(vocab), c.prune_pct, c.prune_rounds,
                             folds=c.folds, c=c.probe_c)
            hits = is_wrong[idx][suspect_order(p, labels[idx], copy[idx])]
            shares.append(hits[:round(0.2 * len(idx))].sum() / max(hits.sum(), 1))
            # How many wrong labels `clean suspects` would say there are, and the calibrated joint
            guess = [dict(label=vocab[l], predicted=vocab[q]) for l, q in zip(labels[idx], p.argmax(1))]
            said = sum(n for n, _ in class_noise(guess, vocab).values())
            counts.append((said, noise_by_class(p, labels[idx]).sum(), hits.sum()))
        out[name], counts = np.array(shares), np.array(counts).mean(0)
        print(f'{a.subsets} subsets of {a.subset_size}, {name}: first 20% {out[name].mean():.1%} ± '
              f'{out[name].std():.1%}; wrong labels estimated {counts[0]:.1f} (the calibrated joint: '
              f'{counts[1]:.1f}), the review {counts[2]:.1f}', flush=True)
    if 'baseline' in out:
        d = out['default'] - out['baseline']
        print(f'paired, default - baseline: {d.mean():+.1%} (se {d.std() / np.sqrt(len(d)):.1%}), '
              f'{(d > 0).sum()} better, {(d < 0).sum()} worse', flush=True)
    return {k: dict(mean=round(float(v.mean()), 4), sd=round(float(v.std()), 4)) for k, v in out.items()}

if __name__ == '__main__': main()
