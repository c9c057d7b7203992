"""MkDocs hook that makes the site out of the repository as it is: the README is the home page, each notebook
is a page (its stored outputs shown, nothing run), `models/README.md` and `benchmarks/README.md` are pages, and
every module of `cat_classifier/` gets an API page from its docstrings (mkdocstrings, read without importing).

Links are written for GitHub (relative to the file in the repository); this hook points them at the pages the
site has for those files, and at the repository (when `repo_url` is set) for anything else. Pictures from the
web (the Binder badge) become their words: the site needs nothing from the network.

`CAT_DOCS_NOTEBOOKS="02_data 05_evaluate"` builds only those notebooks (the test's quick build).
"""
from __future__ import annotations
import json, os, posixpath, re
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT/'build'/'docs'    # the notebooks as the site shows them (git-ignored)
PAGES_FROM_REPO = {'README.md': 'index.md', 'models/README.md': 'models/README.md',
                   'benchmarks/README.md': 'benchmarks/README.md'}
LINK = re.compile(r'(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]+)((?:\s+"[^"]*")?)\)')
HTML_LINK = re.compile(r'<(?:img|a)\s[^>]*?\b(?:src|href)="([^"]+)"')   # README pictures sized with <img width=...>
DIRECTIVE = re.compile(r'^\s*#\s*\|.*\n?', re.M)

_site_to_repo: dict[str, str] = {}   # site path of every page or image -> its path in the repository


def notebooks() -> list[Path]:
    "The notebooks to render: all of `notebooks/`, or the ones `CAT_DOCS_NOTEBOOKS` names."
    only = os.environ.get('CAT_DOCS_NOTEBOOKS', '').split()
    return [p for p in sorted((ROOT/'notebooks').glob('*.ipynb')) if not only or p.stem in only]


def modules() -> list[str]:
    "The public modules of the library, in file order."
    return [p.stem for p in sorted((ROOT/'cat_classifier').glob('*.py')) if not p.stem.startswith('_')]


def for_the_site(nb: dict) -> dict:
    "The notebook without nbdev's `#|` directives, and without the cells that held nothing else."
    cells = []
    for c in nb['cells']:
        if c['cell_type'] == 'code':
            src = DIRECTIVE.sub('', ''.join(c['source']))
            if not src.strip() and not c.get('outputs'): continue
            c = {**c, 'source': src}
        cells.append(c)
    return {**nb, 'cells': cells}


def title(nb: Path) -> str:
    "The notebook's first heading, after its number: `05 Evaluate`."
    for c in json.loads(nb.read_text())['cells']:
        m = re.search(r'^#\s+(.+)$', ''.join(c['source']), re.M) if c['cell_type'] == 'markdown' else None
        if m: return f"{nb.stem.split('_')[0]} {m[1].strip()}" if nb.stem[:2].isdigit() else m[1].strip()
    return nb.stem


def expand(nav: list) -> list:
    "The nav with `notebooks/*.ipynb` and `api/*.md` replaced by one entry per notebook and per module."
    out = []
    for item in nav:
        (name, value), = item.items() if isinstance(item, dict) else [(None, item)]
        if value == 'notebooks/*.ipynb': value = [{title(p): f'notebooks/{p.name}'} for p in notebooks()]
        elif value == 'api/*.md': value = [{m: f'api/{m}.md'} for m in modules()]
        elif isinstance(value, list): value = expand(value)
        out.append({name: value} if name else value)
    return out


def on_config(config):
    config.nav = expand(config.nav or [])
    return config


@event_priority(100)  # before mkdocs-jupyter's on_files, which must see the notebooks added here
def on_files(files: Files, config) -> Files:
    _site_to_repo.clear()
    for f in files: _site_to_repo[f.src_uri] = f'docs/{f.src_uri}'
    for repo_path, site_path in PAGES_FROM_REPO.items():
        files.append(File.generated(config, site_path, abs_src_path=str(ROOT/repo_path)))
        _site_to_repo[site_path] = repo_path
    for png in sorted((ROOT/'models').glob('*.png')):
        files.append(File.generated(config, f'models/{png.name}', abs_src_path=str(png)))
        _site_to_repo[f'models/{png.name}'] = f'models/{png.name}'
    (BUILD/'notebooks').mkdir(parents=True, exist_ok=True)
    for nb in notebooks():
        out = BUILD/'notebooks'/nb.name
        text = json.dumps(for_the_site(json.loads(nb.read_text())), indent=1)
        # Rewritten only when it changed, so that mkdocs-jupyter's cache of the page holds.
        if not out.exists() or out.read_text() != text: out.write_text(text)
        # A File in a folder of its own, not File.generated: mkdocs-jupyter's wrapper loses a generated file's path.
        files.append(File(f'notebooks/{nb.name}', str(BUILD), config.site_dir, config.use_directory_urls))
        _site_to_repo[f'notebooks/{nb.name}'] = f'notebooks/{nb.name}'
    built = {nb.name for nb in notebooks()}
    for m in modules():
        nb = notebook_of(m)
        source = f'Made from the notebook [{nb}](../notebooks/{nb}).' if nb in built else f'Made from `{nb}`.'
        doc = f'# cat_classifier.{m}\n\n{source}\n\n::: cat_classifier.{m}\n'
        files.append(File.generated(config, f'api/{m}.md', content=doc))
        _site_to_repo[f'api/{m}.md'] = f'cat_classifier/{m}.py'
    return files


def notebook_of(module: str) -> str:
    "The notebook that exports `module` (nbdev's `default_exp`)."
    for nb in sorted((ROOT/'notebooks').glob('*.ipynb')):
        if re.search(rf'#\|\s*default_exp\s+{module}\b', nb.read_text()): return nb.name
    return ''


def on_page_markdown(markdown: str, page, config, files: Files) -> str:
    "Point the page's links, written relative to its file in the repository, at the site's pages."
    here = _site_to_repo.get(page.file.src_uri)
    if here is None or page.file.src_uri.startswith('api/'): return markdown
    repo_to_site = {v: k for k, v in _site_to_repo.items()}
    def site_target(target: str, html: bool) -> str|None:
        "Where `target`, a link written in the repository's file, leads on the site; None: nowhere there."
        if re.match(r'[a-z][a-z0-9+.-]*:|#|/', target): return target
        path, _, anchor = target.partition('#')
        repo_path = posixpath.normpath(posixpath.join(posixpath.dirname(here), path))
        site = repo_to_site.get(repo_path) or repo_to_site.get(posixpath.join(repo_path, 'README.md'))
        anchor = '#' + anchor if anchor else ''
        if site and html:  # raw HTML is left as it is by MkDocs: relative to the page's URL, not to its file
            url = files.get_file_from_path(site).url
            return posixpath.relpath(url or '.', posixpath.dirname(page.file.dest_uri) or '.') + anchor
        if site: return posixpath.relpath(site, posixpath.dirname(page.file.src_uri) or '.') + anchor
        if config.repo_url and (ROOT/repo_path).exists():
            kind = 'tree' if (ROOT/repo_path).is_dir() else 'blob'
            return f'{config.repo_url.rstrip("/")}/{kind}/main/{repo_path}'
        return None
    def relink(m):
        bang, text, target, label = m.groups()
        if bang and re.match(r'https?:', target): return text  # a picture from the web (a badge): offline, its words
        text = LINK.sub(relink, text)  # a picture inside a link
        new = site_target(target, html=False)
        return text if new is None else f'{bang}[{text}]({new}{label})'  # nowhere to link to: the words alone
    def relink_html(m):
        new = site_target(m[1], html=True)
        if new is None: raise ValueError(f'{here}: {m[1]} is not on the site')
        return m[0].replace(f'"{m[1]}"', f'"{new}"')
    return HTML_LINK.sub(relink_html, LINK.sub(relink, markdown))
