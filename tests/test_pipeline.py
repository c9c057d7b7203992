"The whole pipeline through the `cat-classifier` command, on drawn toy images: offline, CPU, a minute or two."
import json, subprocess, sys
from pathlib import Path
from conftest import cli
from cat_classifier.core import file_sha256

def test_import_train_export(toy_project):
    root, ini, model = toy_project
    n_img, n_hold = len(list((root/'images').rglob('*.jpg'))), len(list((root/'holdout').rglob('*.jpg')))
    assert n_img + n_hold == 48 and n_hold > 0
    log = (root/'runs'/'toy'/'history.csv').read_text().splitlines()
    assert log[0].startswith('phase,epoch,train_loss,valid_loss,accuracy,error_rate') and len(log) == 1 + 4
    card = json.loads(model.with_suffix('.json').read_text())
    assert card['sha256'] == file_sha256(model)
    assert card['categories'] == ['blue_triangle', 'green_square', 'red_circle']
    assert card['backbone'] == 'tf_efficientnet_lite0' and card['image_size'] == 64
    assert card['metrics']['holdout']['n'] == n_hold
    assert sum(card['images_per_class'].values()) == n_img

def test_evaluate_json(toy_project):
    root, ini, model = toy_project
    res = json.loads(cli('evaluate', root/'holdout', '--json', settings=ini).stdout)
    assert res['n'] == len(list((root/'holdout').rglob('*.jpg')))
    assert set(res['per_class']) == {'blue_triangle', 'green_square', 'red_circle'}
    assert all('recall' in m for m in res['per_class'].values())
    assert sum(map(sum, res['confusion'])) == res['n']
    assert res['accuracy'] > 0.5  # drawn shapes are easy: chance is 1/3

def test_loads_in_fresh_process(toy_project):
    root, ini, model = toy_project
    code = f'from cat_classifier.export import load_model; l = load_model({str(model)!r}); print(list(l.dls.vocab))'
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=root)
    assert r.stdout.strip() == "['blue_triangle', 'green_square', 'red_circle']", r.stderr

def test_errors_are_one_line(toy_project, tmp_path):
    root, ini, model = toy_project
    for args in [('evaluate', tmp_path/'nope'), ('train', '--data', tmp_path), ('download', '--from-folder', tmp_path/'nope'),
                 ('evaluate', root/'holdout', '--model', tmp_path/'missing.pkl')]:
        r = cli(*args, settings=ini, check=False)
        assert r.returncode != 0 and 'Traceback' not in r.stderr, (args, r.stderr)
        assert r.stderr.strip().count('\n') == 0 and r.stderr.startswith('cat-classifier: error:'), (args, r.stderr)

def test_tampered_model_refused(toy_project, tmp_path):
    root, ini, model = toy_project
    bad = tmp_path/'bad.pkl'; bad.write_bytes(model.read_bytes() + b'\0')
    bad.with_suffix('.json').write_text(model.with_suffix('.json').read_text())
    r = cli('evaluate', root/'holdout', '--model', bad, settings=ini, check=False)
    assert r.returncode == 2 and 'does not match the sha256' in r.stderr

def test_help_everywhere():
    for c in ['', 'download', 'train', 'clean', 'evaluate', 'export', 'predict', 'app']:
        r = cli(*([c] if c else []), '--help')
        assert r.returncode == 0 and 'usage: cat-classifier' in r.stdout

def test_predict_cli(toy_project, tmp_path):
    root, ini, model = toy_project
    good = sorted((root/'holdout').rglob('*.jpg'))[:2]
    bad = tmp_path/'notes.jpg'; bad.write_text('not a photo')
    r = cli('predict', good[0], bad, good[1], settings=ini, check=False)
    rows = [json.loads(l) for l in r.stdout.splitlines()]
    assert [o['file'] for o in rows] == [str(good[0]), str(bad), str(good[1])]  # it goes on after a bad file
    assert 'error' in rows[1] and 'label' not in rows[1]
    for o in (rows[0], rows[2]):
        assert o['label'] in ['blue_triangle', 'green_square', 'red_circle'] and o['top'][0] == [o['label'], o['probability']]
        assert len(o['top']) == 3 and abs(sum(p for _, p in o['top']) - 1) < 1e-4
    assert r.returncode == 1  # not every file could be read

def test_judged_against_checked_labels(toy_project, tmp_path):
    "evaluate and export also judge on the photos whose labels hold, from a CSV of labels checked by eye."
    root, ini, model = toy_project
    files = sorted(f.relative_to(root/'holdout').as_posix() for f in (root/'holdout').rglob('*.jpg'))
    checked = tmp_path/'checked.csv'
    checked.write_text('file,label,holds,reason\n' + ''.join(f'{f},{f.split("/")[0]},{"no" if i % 3 == 0 else "yes"},\n'
                                                          for i, f in enumerate(files)))
    n_hold = sum(i % 3 != 0 for i in range(len(files)))
    res = json.loads(cli('evaluate', root/'holdout', '--json', '--verified', checked, settings=ini).stdout)
    assert res['n'] == len(files) and res['verified']['n'] == n_hold
    assert sum(map(sum, res['verified']['confusion'])) == n_hold
    out = cli('export', '--run', root/'runs'/'toy', '--to', tmp_path/'checked.pkl', '--verified', checked, settings=ini).stdout
    card = json.loads((tmp_path/'checked.json').read_text())
    assert card['metrics']['holdout_verified']['n'] == n_hold and 'whose labels hold' in out
    r = cli('evaluate', root/'holdout', '--verified', tmp_path/'missing.csv', settings=ini, check=False)
    assert r.returncode == 2 and 'no list of checked labels' in r.stderr
