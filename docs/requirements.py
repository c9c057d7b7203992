"""Print the `docs` extra of pyproject.toml, one requirement a line: what builds and checks the documentation site,
to install without the project itself (`pip install -r <(python docs/requirements.py)`: no torch needed)."""
import sys
from pathlib import Path

try: import tomllib
except ModuleNotFoundError: from pip._vendor import tomli as tomllib  # Python 3.10: pip carries the same parser

pyproject = tomllib.loads((Path(__file__).resolve().parents[1]/'pyproject.toml').read_text())
sys.stdout.write(''.join(f'{r}\n' for r in pyproject['project']['optional-dependencies']['docs']))
