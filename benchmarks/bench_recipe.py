"""Training recipes side by side, from their cross-validations: the first folder is the baseline.

Each FOLDER is what `cat-classifier cv --run NAME` wrote (data/runs/NAME): its `cv.json`. The table gives accuracy as
mean ± sd over seeds, the spread of a single fold, the ensemble of the seeds' models, the lowest class recall, and
each recipe's difference from the baseline in points and in units of the baseline's seed-to-seed sd.

    cat-classifier cv --k 5 --seeds 42,43 --run cv-base --members 1
    cat-classifier cv --k 5 --seeds 42,43 --run cv-lite1 --backbone tf_efficientnet_lite1 --size 240
    python benchmarks/bench_recipe.py data/runs/cv-base data/runs/cv-lite1
"""
import argparse, json, sys
from pathlib import Path


def load(folder: Path) -> dict:
    f = folder/'cv.json'
    if not f.is_file(): sys.exit(f'bench_recipe: no {f}: run `cat-classifier cv --run {folder.name}` first')
    return json.loads(f.read_text())


def row(name: str, s: dict, base: dict) -> str:
    acc, e = s['accuracy'], s['ensemble']
    low = min(s['recall'].items(), key=lambda kv: kv[1]['mean'])
    delta = acc['mean'] - base['accuracy']['mean']
    sd = base['accuracy']['sd'] or base['fold_accuracy']['sd']
    ens = f"{e['accuracy']:.2%} ({e['models']} models)" if e['models'] > 1 else '–'
    return (f"| {name} | {acc['mean']:.2%} ± {acc['sd']:.2%} ({acc['n']} seeds) | ± {s['fold_accuracy']['sd']:.2%} "
            f"| {s['mirrored']['mean']:.2%} | {ens} | {low[0]} {low[1]['mean']:.1%} "
            f"| {delta * 100:+.2f} pt ({delta / sd:+.1f} sd) | {s['minutes']:.0f} min |")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('folders', nargs='+', type=Path, help='cv run folders; the first is the baseline')
    p.add_argument('--json', action='store_true', help='print the figures as JSON instead of a table')
    a = p.parse_args(argv)
    runs = {f.name: load(f) for f in a.folders}
    base = next(iter(runs.values()))
    if a.json:
        print(json.dumps({n: {k: s[k] for k in ('n', 'k', 'seeds', 'accuracy', 'fold_accuracy', 'mirrored',
                                                 'ensemble', 'recall', 'minutes')} for n, s in runs.items()}))
        return
    print(f"{base['k']}-fold cross-validation on {base['n']} photos; baseline: {a.folders[0].name}\n")
    print('| recipe | accuracy | one fold | mirrored | ensemble of the seeds | lowest recall | vs baseline | training |')
    print('| --- | --- | --- | --- | --- | --- | --- | --- |')
    for n, s in runs.items(): print(row(n, s, base))
    for n, s in runs.items():
        print(f"\n{n}: recall " + ', '.join(f"{c} {m['mean']:.1%} ± {m['sd']:.1%}" for c, m in s['recall'].items()))


if __name__ == '__main__': main()
