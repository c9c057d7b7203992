"""How close a model trained after reviewing only the first fifth of `clean suspects --all` comes to one trained
after reviewing every photo: the user's commands, end to end, on copies of the raw pool.

    .venv/bin/cat-classifier download --from-folder ../shared/datasets/cat-breeds-5 --holdout 0.15
    nice -n 10 .venv/bin/python benchmarks/bench_review_fifth.py [--seeds 42,44] [--work /tmp/review-fifth]

For each of two copies of `data/images` (the raw pool): the first gets `clean suspects --all`, then the full
review's decisions (`models/cleaning-decisions.csv`) for the photos in the first fifth of that file only (the rest
kept), as if a person had reviewed that fifth; the second gets every decision. Each pool is applied with `clean
apply`, trained with `cat-classifier train --seed S` for each seed (the shipped recipe otherwise), and judged by
`evaluate data/holdout --verified models/holdout-verified.csv`. About 10 min a training on 2 cores, 5 min for
`clean suspects`. The last line is JSON.
"""
import argparse, csv, json, re, shutil, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, '-m', 'cat_classifier.cli']

def run(*args: str) -> str:
    "Run a `cat-classifier` command and return what it printed; stop with its message if it fails."
    done = subprocess.run([*CLI, *args], cwd=ROOT, capture_output=True, text=True)
    if done.returncode: raise SystemExit(f'cat-classifier {" ".join(args)} failed:\n{done.stderr.strip()}')
    return done.stdout

def settings_for(work: Path) -> Path:
    "A copy of settings.ini whose photos, trash and runs live under `work`, its other paths the project's."
    text = (ROOT/'settings.ini').read_text()
    moved = {'images_path': work/'images', 'trash_path': work/'trash', 'runs_path': work/'runs'}
    def where(m: re.Match) -> str:  # relative paths are read from the settings file's folder: make them whole
        key, value = m[1], m[2].strip()
        return f'{key} = {moved.get(key) or (ROOT/value if value else "")}'
    text = re.sub(r'^(\w+_path) = ?(.*)$', where, text, flags=re.M)
    path = work/'settings.ini'
    path.write_text(text)
    return path

def fill(decisions: Path, review: dict, first: int|None, out: Path) -> int:
    "Copy `decisions` with the `review`'s action for its first `first` rows (all if None); the rest left blank."
    rows = list(csv.DictReader(open(decisions, encoding='utf-8')))
    for i, r in enumerate(rows): r['action'] = review.get(r['file'], 'keep') if first is None or i < first else ''
    with open(out, 'w', newline='', encoding='utf-8') as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader(); w.writerows(rows)
    return sum(r['action'] not in ('', 'keep') for r in rows)

def accuracies(report: str) -> dict:
    "The raw and the checked holdout accuracy in `evaluate`'s report."
    raw = re.search(r'^accuracy ([\d.]+)% on (\d+) photos', report, re.M)
    checked = re.search(r'^accuracy ([\d.]+)% on the (\d+) photos whose labels hold', report, re.M)
    return dict(raw=float(raw[1]), checked=float(checked[1]), n_checked=int(checked[2]))

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--images', default='data/images', help='the raw pool (not cleaned)')
    ap.add_argument('--decisions', default='models/cleaning-decisions.csv', help='the full review')
    ap.add_argument('--seeds', default='42,44')
    ap.add_argument('--work', default='/tmp/review-fifth')
    a = ap.parse_args()
    review = {r['file']: r['action'] for r in csv.DictReader(open(ROOT/a.decisions, encoding='utf-8'))}
    out = {}
    for name in ('first fifth', 'every photo'):
        work = Path(a.work)/name.replace(' ', '-')
        shutil.rmtree(work, ignore_errors=True); work.mkdir(parents=True)
        shutil.copytree(ROOT/a.images, work/'images')
        settings, ranked, out[name] = settings_for(work), work/'suspects.csv', dict(seeds={})
        if name == 'first fifth':  # the full review needs no ranking: every photo is looked at
            t = time.perf_counter()
            run('clean', 'suspects', '--all', '--model', 'models/cat-breeds.pkl', '--settings', str(settings),
                str(ranked))
            out[name]['suspects_s'] = round(time.perf_counter() - t)
        else: shutil.copy(ROOT/a.decisions, ranked)
        n = sum(1 for _ in open(ranked, encoding='utf-8')) - 1
        applied = fill(ranked, review, round(0.2 * n) if name == 'first fifth' else None, work/'decisions.csv')
        run('clean', 'apply', '--settings', str(settings), str(work/'decisions.csv'))
        out[name] |= dict(decisions_applied=applied, rows=n)
        for seed in filter(None, a.seeds.split(',')):
            run('train', '--settings', str(settings), '--run', f'seed-{seed}', '--seed', seed)
            report = run('evaluate', 'data/holdout', '--settings', str(settings), '--model',
                         str(work/'runs'/f'seed-{seed}'/'learner.pkl'), '--verified', 'models/holdout-verified.csv')
            out[name]['seeds'][seed] = accuracies(report)
            print(f'{name}: {applied} of {len(review)} decisions applied; seed {seed}: {out[name]["seeds"][seed]}',
                  flush=True)
    print(json.dumps(out))

if __name__ == '__main__': main()
