"""Check, online, that every dependency range in environment.yml (and so binder/) has a release today: pip
ones on PyPI's JSON API, conda ones on conda-forge (anaconda.org's API), with the newest version that fits.

    .venv/bin/python benchmarks/check_binder_pins.py [environment.yml]

Exit status: 0 every range checked has a release, 1 some range has none, 2 offline (nothing checked). The offline checks
(names and ranges against pyproject.toml) are tests/test_binder.py.
"""
import json, sys, urllib.error, urllib.request
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=20) as r: return json.load(r)


def newest(versions, spec: SpecifierSet):
    ok = []
    for v in versions:
        try: ok.append(Version(v))
        except InvalidVersion: pass
    ok = [v for v in ok if spec.contains(v)]
    return str(max(ok)) if ok else None


def pypi_versions(name: str) -> list:
    rel = _get(f'https://pypi.org/pypi/{name}/json')['releases']
    return [v for v, files in rel.items() if files and not all(f.get('yanked') for f in files)]


def conda_forge_versions(name: str) -> list:
    return _get(f'https://api.anaconda.org/package/conda-forge/{name}')['versions']


def main(path='environment.yml'):
    deps = yaml.safe_load(Path(path).read_text())['dependencies']
    todo = []
    for d in deps:
        if isinstance(d, dict): todo += [('pypi', r.name, r.specifier) for r in map(Requirement, d['pip'])]
        else:
            name, _, spec = d.partition(' ')
            name, _, pinned = name.partition('=')
            todo.append(('conda-forge', name, SpecifierSet(spec.replace(' ', '') or (f'=={pinned}.*' if pinned else ''))))
    missing, unchecked = 0, 0
    for where, name, spec in todo:
        try: found = newest((pypi_versions if where == 'pypi' else conda_forge_versions)(name), spec) or 'NO RELEASE FITS'
        except urllib.error.HTTPError as e: found = 'NO RELEASE FITS' if e.code == 404 else f'not checked (HTTP {e.code})'
        except (urllib.error.URLError, TimeoutError, OSError) as e: found = f'not checked ({where} unreachable)'
        print(f'{where:<12} {name:<34} {str(spec) or "(any)":<18} {found}')
        missing += found == 'NO RELEASE FITS'; unchecked += found.startswith('not checked')
    if unchecked: print(f'{unchecked} of {len(todo)} not checked: offline?')
    return 1 if missing else 2 if unchecked == len(todo) else 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
