"Shared fixtures: a toy project (settings, labelled images, a trained and exported small model) built once per session."
import json, re, subprocess, sys, warnings
from pathlib import Path
import pytest
from cat_classifier.testing import make_toy_images

CLI = str(Path(sys.executable).parent/'cat-classifier')

def cli(*args, settings=None, check=True):
    "Run the installed `cat-classifier` entry point; return the CompletedProcess."
    argv = [CLI, *(['--settings', str(settings)] if settings else []), *map(str, args)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    if check and r.returncode != 0: raise AssertionError(f'{argv} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}')
    return r

def write_settings(root: Path, **kw) -> Path:
    "A settings.ini for a toy project under `root`: small images, the default pretrained backbone, short training."
    v = dict(images_path=root/'images', holdout_path=root/'holdout', trash_path=root/'trash', runs_path=root/'runs',
             model_path=root/'models'/'toy.pkl', backbone='tf_efficientnet_lite0', pretrained='true', size=64, batch_size=8,
             epochs=3, freeze_epochs=1, lr=0.003, members=1) | kw
    ini = root/'settings.ini'
    ini.write_text('[data]\n' + ''.join(f'{k} = {v[k]}\n' for k in ('images_path', 'holdout_path', 'trash_path'))
                   + 'max_size = 480\ncategories = blue_triangle, green_square, red_circle\n'
                   + '[train]\n' + ''.join(f'{k} = {v[k]}\n' for k in ('runs_path', 'backbone', 'pretrained', 'size', 'batch_size', 'epochs', 'freeze_epochs', 'lr',
                                                                        'members'))
                   + 'min_scale = 0.9\nvalid_pct = 0.2\nseed = 42\nlabel_smoothing = 0\n'
                   + f'[model]\nmodel_path = {v["model_path"]}\nunknown_threshold = 0.6\nmax_upload_mb = 10\n')
    return ini

@pytest.fixture(scope='session')
def toy_project(tmp_path_factory):
    "A toy project after `download --from-folder`, `train` and `export`: (root, settings.ini, model path)."
    root = tmp_path_factory.mktemp('toy_project')
    make_toy_images(root/'source', n=16, size=96, seed=0)
    ini = write_settings(root)
    cli('download', '--from-folder', root/'source', '--holdout', 0.2, settings=ini)
    cli('train', '--run', 'toy', settings=ini)
    cli('export', settings=ini)
    return root, ini, root/'models'/'toy.pkl'

@pytest.fixture(scope='session')
def toy_model(toy_project):
    "The toy project's exported model, with its card."
    return toy_project[2]

@pytest.fixture(scope='session')
def learn(toy_model):
    "The toy model loaded as the app loads it (its warnings silenced)."
    from cat_classifier.export import load_model
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return load_model(toy_model)

@pytest.fixture(scope='module')
def browser():
    "Headless Chromium driven by Playwright (tests/browser.py says which), one per test module."
    from playwright.sync_api import sync_playwright
    from browser import launch
    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def pids(*words: str) -> list:
    "The running processes whose command line holds every one of `words`."
    found = []
    for p in Path('/proc').glob('[0-9]*'):
        try: cmd = (p/'cmdline').read_bytes().decode(errors='replace')
        except OSError: continue
        if all(w in cmd for w in words): found.append(int(p.name))
    return found

def model_processes(base: Path) -> list:
    "The running model processes that keep their folders under `base` (the app's, or a client's `base`)."
    mine = f'CAT_CLASSIFIER_RUNTIME={base}\0'.encode()
    def under_base(pid):
        try: return mine in Path(f'/proc/{pid}/environ').read_bytes() + b'\0'
        except OSError: return False
    return [pid for pid in pids('cat_classifier.serve import run_model_process') if under_base(pid)]

def runtime_base(log: Path) -> Path:
    "The folder of the model process of the app whose output is `log`."
    m = re.search(r'its process works in (\S+?)\)', log.read_text())
    assert m, log.read_text()
    return Path(m[1])

def kernel_pids(log: Path) -> list:
    "The processes of the kernels of the app whose output is `log` (their connection files are in its folder)."
    m = re.search(r'Storing connection files in (\S+?)\.?$', log.read_text(), re.M)
    assert m, log.read_text()
    return pids(m[1], 'ipykernel')

def voila_pids(port: int) -> list:
    "The Voila processes serving on `port`."
    return pids('voila', f'--port={port}')

def app_pids(port: int, log: Path) -> list:
    "Everything of the app on `port` whose output is `log`: Voila, its kernels and its model process."
    return voila_pids(port) + kernel_pids(log) + model_processes(runtime_base(log))


def toy_runtime_model(dest: Path, base: Path, settings: Path|None=None) -> Path:
    "A model file whose model process (for `settings`, under `base`) starts from a kept toy runtime in a second: no torch, no training."
    from cat_classifier.runtime import Runtime
    from cat_classifier.serve import ModelClient, runtime_source
    from cat_classifier.testing import toy_graphs
    dest.mkdir(parents=True, exist_ok=True)
    model = dest/'toy.pkl'
    model.write_bytes(b'never unpickled: the kept runtime stands for it')
    card = dict(categories=['blue_triangle', 'green_square', 'red_circle'], backbone='toy', image_size=64)
    model.with_suffix('.json').write_text(json.dumps(card))
    kept = ModelClient(model, settings, base=base).dir/'runtime'
    Runtime(*toy_graphs(), card['categories'], 64, 224, card).save(kept)
    (kept/'source').write_text(runtime_source(str(model)))
    return model


def peak_mb(pid: int) -> float:
    "The most memory (resident) the process `pid` has held since it started, in MB."
    return int(re.search(r'VmHWM:\s+(\d+)', Path(f'/proc/{pid}/status').read_text())[1]) / 1024


def rss_mb(pid: int) -> float:
    "The memory (resident) the process `pid` holds now, in MB."
    return int(re.search(r'VmRSS:\s+(\d+)', Path(f'/proc/{pid}/status').read_text())[1]) / 1024
