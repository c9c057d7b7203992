"""binder/ and environment.yml describe the environment that pyproject.toml does, with a CPU-only PyTorch,
and give Voila on mybinder.org the settings that `serve_app` uses. Offline: versions on PyPI or conda-forge
are checked by benchmarks/check_binder_pins.py when online."""
import json, os, re, subprocess, sys, time, tomllib, urllib.error, urllib.request
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
import yaml
from conftest import model_processes
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names of the packages that come from conda rather than pip, by their PyPI names.
CONDA_NAMES = {'torch': 'pytorch-cpu', 'torchvision': 'torchvision'}


def env_specs(path: Path) -> tuple[dict, dict]:
    "The conda and pip dependencies of an environment file, as {PyPI name: SpecifierSet}."
    deps = yaml.safe_load(path.read_text())['dependencies']
    conda, pip = {}, {}
    for d in deps:
        if isinstance(d, dict): pip.update({canonicalize_name(r.name): r.specifier for r in map(Requirement, d['pip'])})
        else:
            name, _, spec = d.partition(' ')
            name, _, pinned = name.partition('=')  # `python=3.11` is conda's short form of ==3.11.*
            conda[name] = SpecifierSet(spec.replace(' ', '') or (f'=={pinned}.*' if pinned else ''))
    return conda, pip


@pytest.fixture(scope='module')
def project_deps():
    meta = tomllib.loads((ROOT/'pyproject.toml').read_text())['project']
    return {canonicalize_name(r.name): r.specifier for r in map(Requirement, meta['dependencies'])}, SpecifierSet(meta['requires-python'])


def test_binder_environment_is_the_root_one():
    root, binder = (yaml.safe_load(p.read_text()) for p in (ROOT/'environment.yml', ROOT/'binder'/'environment.yml'))
    assert root == binder


def test_environment_has_the_dependencies_of_pyproject_and_nothing_else(project_deps):
    deps, _ = project_deps
    conda, pip = env_specs(ROOT/'environment.yml')
    from_conda = {pypi: conda[name] for pypi, name in CONDA_NAMES.items()}
    assert {**pip, **from_conda} == deps  # same names, same version ranges
    assert not set(pip) & set(CONDA_NAMES)  # torch from conda only: pip must not pull a CUDA build over it
    assert set(conda) == {'python', 'pip', *CONDA_NAMES.values()}


def test_cpu_only():
    text = (ROOT/'environment.yml').read_text().lower()
    conda, pip = env_specs(ROOT/'environment.yml')
    assert 'pytorch-cpu' in conda and 'pytorch' not in conda
    assert not re.search(r'^\s*-\s*(cuda|nvidia|pytorch-cuda|pytorch-gpu|cudatoolkit)', text, re.M)
    assert 'download.pytorch.org' not in text and '--extra-index-url' not in text


def test_python_fits_pyproject(project_deps):
    _, requires_python = project_deps
    conda, _ = env_specs(ROOT/'environment.yml')
    py = str(conda['python']).removeprefix('==').removesuffix('.*')
    assert requires_python.contains(py + '.0'), (py, requires_python)


def test_what_we_test_with_satisfies_the_environment():
    "The versions installed here (which the tests just ran on) fall in the environment's ranges."
    conda, pip = env_specs(ROOT/'environment.yml')
    ranges = {**pip, **{pypi: conda[name] for pypi, name in CONDA_NAMES.items()}}
    for name, spec in ranges.items():
        try: v = version(name)
        except PackageNotFoundError: pytest.fail(f'{name} is not installed')
        assert spec.contains(v.split('+')[0], prereleases=True), (name, v, str(spec))


def test_postbuild_installs_the_project_and_the_voila_setup():
    pb = ROOT/'binder'/'postBuild'
    text = pb.read_text()
    assert os.access(pb, os.X_OK) and text.startswith('#!/bin/bash\n') and 'set -euo pipefail' in text
    assert 'pip install --no-deps -e .' in text
    assert 'install_voila_setup(sys.prefix)' in text


def run_postbuild(prefix: Path):
    "postBuild's commands with `prefix` for the conda environment's (pip install -e is the one left out)."
    text = (ROOT/'binder'/'postBuild').read_text().replace('python -m pip install --no-deps -e .', 'true')
    text = text.replace('install_voila_setup(sys.prefix)', f'install_voila_setup("{prefix}")')
    subprocess.run(['bash', '-c', text], cwd=ROOT, check=True, capture_output=True,
                   env=os.environ | {'PATH': f'{Path(sys.executable).parent}{os.pathsep}{os.environ["PATH"]}'})


def test_binder_gives_voila_the_settings_of_serve_app(tmp_path):
    from cat_classifier.host import voila_config
    run_postbuild(tmp_path)
    conf, binder = voila_config(), json.loads((tmp_path/'etc'/'jupyter'/'jupyter_server_config.json').read_text())
    assert binder['ServerApp']['tornado_settings'] == conf['Voila']['tornado_settings']
    assert binder['MappingKernelManager'] == conf['MappingKernelManager']
    assert binder['VoilaConfiguration'] == conf['VoilaConfiguration']
    assert (tmp_path/'share'/'jupyter'/'voila'/'templates'/'cat-classifier'/'index.html.j2').is_file()


def test_binder_url_renders_the_app(tmp_path, toy_project):
    "What mybinder.org serves at ?urlpath=voila/render/notebooks/app.ipynb: Voila as an extension of a Jupyter server."
    from cat_classifier.testing import free_port
    run_postbuild(tmp_path/'env')
    model, port = toy_project[2], free_port()
    env = os.environ | {'JUPYTER_CONFIG_PATH': str(tmp_path/'env'/'etc'/'jupyter'), 'JUPYTER_PATH': str(tmp_path/'env'/'share'/'jupyter'),
                        'CAT_CLASSIFIER_MODEL': str(model), 'CAT_CLASSIFIER_RUNTIME': str(tmp_path/'run')}
    cmd = [sys.executable, '-m', 'jupyter', 'server', '--no-browser', f'--port={port}', '--IdentityProvider.token=',
           f'--ServerApp.root_dir={ROOT}', *(['--allow-root'] if os.geteuid() == 0 else [])]
    with open(tmp_path/'server.log', 'w') as log:
        server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url, end = f'http://127.0.0.1:{port}/voila/render/notebooks/app.ipynb', time.time() + 60
        while True:
            try: page = urllib.request.urlopen(url, timeout=180).read().decode(); break
            except urllib.error.URLError:
                if time.time() > end or server.poll() is not None: pytest.fail((tmp_path/'server.log').read_text())
                time.sleep(0.5)
        assert 'application/vnd.jupyter.widget-view+json' in page  # the app notebook ran
        assert 'cat-classifier: refuse an upload' in page and 'const limit = 104857600,' in page  # with its template
        assert 'Culling kernels with idle durations > 600 seconds' in (tmp_path/'server.log').read_text()
        assert len(model_processes(tmp_path/'run')) == 1  # the page started the model process: nobody else does there
    finally:
        server.terminate(); server.wait(30)
        from cat_classifier.serve import ModelClient
        ModelClient(model, base=tmp_path/'run').stop()  # on mybinder.org it stops when idle


def test_binder_url_opens_the_app():
    assert (ROOT/'notebooks'/'app.ipynb').is_file()  # ?urlpath=voila/render/notebooks/app.ipynb
    assert 'urlpath=voila/render/notebooks/app.ipynb' in (ROOT/'binder'/'environment.yml').read_text()


def test_make_binder_prints_the_link_of_this_clones_origin(tmp_path):
    "`make binder` (binder/link.py): the link and badge for whoever publishes the repository, or one line why not."
    link = [sys.executable, str(ROOT/'binder'/'link.py')]
    subprocess.run(['git', 'init', '-q', '-b', 'main', str(tmp_path)], check=True)
    r = subprocess.run(link, cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 1 and r.stdout == '' and len(r.stderr.strip().splitlines()) == 1 and 'no `origin` remote' in r.stderr
    subprocess.run(['git', '-C', str(tmp_path), 'remote', 'add', 'origin', 'git@github.com:alice/cat-classifier.git'], check=True)
    out = subprocess.run(link, cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    url = 'https://mybinder.org/v2/gh/alice/cat-classifier/main?urlpath=voila/render/notebooks/app.ipynb'
    assert f'  {url}\n' in out and f'[![Binder](https://mybinder.org/badge_logo.svg)]({url})' in out
    for remote, expected in [('https://github.com/bob/cats', 'v2/gh/bob/cats/dev?'),
                             ('https://bob:secret@github.com/bob/cats.git', 'v2/gh/bob/cats/dev?'),
                             ('https://gitlab.com/bob/group/cats.git', 'v2/gl/bob%2Fgroup%2Fcats/dev?'),
                             ('https://git.example.org/cats.git', 'v2/git/https%3A%2F%2Fgit.example.org%2Fcats.git/dev?')]:
        out = subprocess.run([*link, '--remote', remote, '--branch', 'dev'], capture_output=True, text=True, check=True).stdout
        assert expected in out and 'secret' not in out, (remote, out)
