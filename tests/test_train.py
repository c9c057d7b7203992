"Training through the command line: precision, a failed run, options in any order, several processes through Accelerate."
import json, shutil, subprocess, sys
from pathlib import Path
import pytest
from conftest import cli, write_settings
from cat_classifier.testing import make_toy_images

@pytest.fixture(scope='module')
def small_project(tmp_path_factory):
    "Toy images imported into a project that trains a small ResNet-18 from scratch in seconds."
    root = tmp_path_factory.mktemp('small')
    make_toy_images(root/'source', n=12, size=64, seed=1)
    ini = write_settings(root, backbone='resnet18', pretrained='false', epochs=2, freeze_epochs=1)
    cli('download', '--from-folder', root/'source', settings=ini)
    return root, ini

def test_failed_train_leaves_no_run_folder(small_project, tmp_path):
    root, ini = small_project
    for _ in range(3):
        r = cli('train', '--data', tmp_path/'empty', settings=ini, check=False)
        assert r.returncode == 2 and 'no images' in r.stderr
    r = cli('train', '--precision', 'fp16', '--run', 'gpu-only', settings=ini, check=False)
    assert r.returncode == 2 and 'fp16 training needs an NVIDIA GPU' in r.stderr
    assert not (root/'runs').exists() or list((root/'runs').iterdir()) == []

def test_precision_recorded(small_project):
    root, ini = small_project
    cli('train', '--run', 'fp32', '--precision', 'fp32', '--no-channels-last', settings=ini)
    info = json.loads((root/'runs'/'fp32'/'learner.json').read_text())
    assert info['config']['precision'] == 'fp32' and info['config']['channels_last'] is False
    assert info['device'] == 'cpu' and info['processes'] == 1

def test_clean_options_in_any_order(small_project, tmp_path):
    root, ini = small_project
    cli('train', '--run', 'for-clean', settings=ini)
    for i, order in enumerate([('-n', 5, tmp_path/'a.csv'), (tmp_path/'b.csv', '-n', 5)]):
        cli('clean', 'suspects', *order, '--model', root/'runs'/'for-clean'/'learner.pkl', settings=ini)
    assert (tmp_path/'a.csv').read_text() == (tmp_path/'b.csv').read_text()
    assert len((tmp_path/'a.csv').read_text().splitlines()) == 6

@pytest.mark.skipif(shutil.which('accelerate', path=str(Path(sys.executable).parent)) is None, reason='no accelerate')
def test_two_processes_through_accelerate(small_project):
    "Two processes (gloo on a CPU-only machine) train one run: one folder, one log, written by the first only."
    # `--cpu` would start one process: Accelerate runs several CPU processes through MPI only; torchrun works here.
    root, ini = small_project
    argv = [str(Path(sys.executable).parent/'accelerate'), 'launch', '--multi_gpu', '--num_processes', '2', '--num_machines', '1',
            '--mixed_precision', 'no', '--dynamo_backend', 'no', '-m', 'cat_classifier.cli', '--settings', str(ini),
            'train', '--run', 'two']
    r = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    info = json.loads((root/'runs'/'two'/'learner.json').read_text())
    assert info['processes'] == 2
    assert len((root/'runs'/'two'/'history.csv').read_text().splitlines()) == 1 + 3  # header, 1 frozen, 2 unfrozen
    assert r.stdout.count('validation accuracy') == 1
    code = f"from fastai.vision.all import load_learner; print(load_learner({str(root/'runs'/'two'/'learner.pkl')!r}, cpu=True).dls.vocab)"
    assert 'blue_triangle' in subprocess.run([sys.executable, '-c', code], capture_output=True, text=True).stdout
