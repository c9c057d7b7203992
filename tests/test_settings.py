"Library defaults agree with settings.ini: change one side alone and these fail."
import dataclasses, importlib, inspect, pkgutil
from pathlib import Path
import pytest
import cat_classifier
from cat_classifier.core import load_settings

ROOT = Path(cat_classifier.__file__).resolve().parent.parent
SETTINGS = load_settings(ROOT/'settings.ini')
# `testing` is scaffolding: its toy images and models have sizes and seeds of their own.
MODULES = sorted(m.name for m in pkgutil.iter_modules(cat_classifier.__path__) if m.name not in ('_modidx', 'testing'))
# Defaults that differ from the setting of the same name on purpose, and why.
DIFFERENT = {('host', 'voila_config', 'pool_size'): 'Voila inside a Jupyter server (mybinder.org) has no kernel pool; '
                                                    'serve_app passes the setting',
             ('download', 'add_images', 'holdout_pct'): 'nothing is held out unless asked (--holdout PCT)'}


def _callables(mod):
    "`(name, function)` for the functions and classes defined in `mod`, with the methods of its classes."
    for name, o in vars(mod).items():
        if getattr(o, '__module__', None) != mod.__name__: continue
        if inspect.isfunction(o): yield name, o
        elif inspect.isclass(o):
            if '__init__' in vars(o): yield name, o  # its own constructor (a dataclass's too), not an inherited one
            for m, f in vars(o).items():
                if inspect.isfunction(f): yield f'{name}.{m}', f


def _defaults():
    "`(module, function, parameter, default)` for every parameter named as a setting, with its default."
    for name in MODULES:
        mod = importlib.import_module(f'cat_classifier.{name}')
        for fname, f in _callables(mod):
            try: params = inspect.signature(f).parameters.values()
            except (TypeError, ValueError): continue
            for p in params:
                if p.name in SETTINGS and p.default is not inspect.Parameter.empty:
                    yield name, fname, p.name, p.default
        for cname, v in vars(mod).items():  # constants named after a setting: CAT_THRESHOLD, POOL_SIZE, ...
            if cname.isupper() and cname.lower() in SETTINGS: yield name, cname, cname.lower(), v


FOUND = list(_defaults())


def test_defaults_are_found():
    names = {(m, f) for m, f, *_ in FOUND}
    assert len(FOUND) >= 30, FOUND  # the scan sees the library, not nothing
    for expected in [('data', 'DataConfig'), ('train', 'TrainConfig'), ('runtime', 'UNKNOWN_THRESHOLD'),
                     ('runtime', 'CAT_THRESHOLD'), ('host', 'voila_config'), ('serve', 'ServeLimits'),
                     ('core', 'upload_bytes'), ('download', 'SearchOptions'), ('clean', '_labelled')]:
        assert expected in names, expected


@pytest.mark.parametrize('module,function,name,default', FOUND, ids=lambda v: str(v) if isinstance(v, str) else None)
def test_library_default_agrees_with_settings_ini(module, function, name, default):
    if name.endswith('_path'):
        assert default is None, f'{module}.{function}: {name} defaults to {default!r}: paths come from the settings'
    elif default is not None and (module, function, name) not in DIFFERENT:
        assert default == SETTINGS[name], (f'{module}.{function}({name}={default!r}) but settings.ini says '
                                           f'{name} = {SETTINGS[name]!r}: change both, or neither')


def test_fetch_options_default_to_settings_ini():
    from cat_classifier.download import FetchOptions
    assert dataclasses.asdict(FetchOptions()) == dataclasses.asdict(FetchOptions.from_settings(SETTINGS))


def test_thresholds_default_to_settings_ini():
    from cat_classifier.runtime import Thresholds
    assert Thresholds() == Thresholds.from_settings(SETTINGS)


# One configuration object per concern, each with `from_settings` (`core.from_settings`).
CONFIGS = ['train.TrainConfig', 'data.DataConfig', 'download.FetchOptions', 'download.SearchOptions', 'clean.SuspectConfig',
           'runtime.Thresholds', 'serve.ServeLimits', 'web.PageOptions']

def _config(path):
    mod, name = path.split('.')
    return getattr(importlib.import_module(f'cat_classifier.{mod}'), name)


@pytest.mark.parametrize('path', CONFIGS)
def test_config_objects_default_to_settings_ini(path):
    cls = _config(path)
    assert cls.from_settings(SETTINGS) == cls()


@pytest.mark.parametrize('path', CONFIGS)
def test_a_setting_that_is_none_keeps_the_default(path):
    "settings.ini's keys for the object, all None (as an override left unset is): the defaults, not None."
    cls, blank = _config(path), {k: None for k in SETTINGS} | {f'{k}_threshold': None for k in ('unknown', 'cat')}
    assert cls.from_settings(blank) == cls()


def test_store_options_from_settings():
    from cat_classifier.download import StoreOptions
    store = StoreOptions.from_settings(dict(SETTINGS, holdout_pct=None))
    assert (store.images_path, store.holdout_path, store.holdout_pct, store.max_size) == (SETTINGS.images_path, SETTINGS.holdout_path, None, SETTINGS.max_size)


def test_no_library_module_reads_the_settings_file():
    "Only the edges call `load_settings`: the command line, the app's page, the model process, the app's host."
    edges = {'cli', 'app', 'serve', 'host', 'core'}
    for name in MODULES:
        if name in edges: continue
        src = (ROOT/'cat_classifier'/f'{name}.py').read_text()
        assert 'load_settings(' not in src, f'{name}.py reads the settings: take plain arguments instead'


def test_cli_train_takes_every_training_setting():
    "`train`'s settings (TRAIN_KEYS, from its signature) can all be overridden on the command line."
    import argparse
    from cat_classifier.cli import parser
    from cat_classifier.train import TRAIN_KEYS
    sub = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)).choices['train']
    assert set(TRAIN_KEYS) <= {a.dest for a in sub._actions}, set(TRAIN_KEYS) - {a.dest for a in sub._actions}
