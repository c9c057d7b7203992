"""Checks a built documentation site (`mkdocs build`, see mkdocs.yml) the way a reader meets it: in Chromium.

    python tests/site_check.py [SITE_DIR]    # _site by default; one line per problem, status 1 if any

Every notebook the build was given has its page, with every cell and every picture it stores; the home page,
and the first two notebook pages with pictures, are opened in Chromium served over HTTP: their pictures load
(the home page's app screenshot among them), every link on them to the site leads to a page that is there, a
click on a link in the navigation opens its page, and nothing is fetched from outside the site.
"""
from __future__ import annotations
import functools, http.server, importlib.util, json, re, sys, threading
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import launch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def notebooks_built() -> list[str]:
    "The notebooks that docs/hooks.py gives the build (all, or those `CAT_DOCS_NOTEBOOKS` names)."
    spec = importlib.util.spec_from_file_location('docs_hooks', ROOT/'docs'/'hooks.py')
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    return [p.stem for p in hooks.notebooks()]


def stored_pictures(nb: dict) -> int:
    "How many pictures the notebook's outputs hold."
    outputs = [o for c in nb['cells'] for o in c.get('outputs', [])]
    return sum(any(k.startswith('image/') for k in o.get('data', {})) for o in outputs)


def notebook_problems(site: Path, names: list[str]) -> list[str]:
    "What is missing from the pages of the notebooks `names`: a page, some of its cells or pictures."
    problems = []
    for name in names:
        page, source = site/'notebooks'/name/'index.html', site/'notebooks'/name/f'{name}.ipynb'
        if not page.exists() or not source.exists():
            problems.append(f'notebooks/{name}: no page')
            continue
        nb = json.loads(source.read_text())  # the notebook as the page was made from it (offered for download)
        html = page.read_text()
        cells = html.count('class="jp-Cell-inputWrapper')
        pictures = len(re.findall(r'<img\s[^>]*src="data:image/', html))
        if cells != len(nb['cells']): problems.append(f'notebooks/{name}: {cells} of {len(nb["cells"])} cells on the page')
        if pictures != stored_pictures(nb): problems.append(f'notebooks/{name}: {pictures} of {stored_pictures(nb)} pictures')
    return problems


@contextmanager
def served(site: Path):
    "The site over HTTP on a free local port (folder URLs need a server: file:// would list the folder)."
    handler = functools.partial(type('Quiet', (http.server.SimpleHTTPRequestHandler,), {'log_message': lambda *a: None}),
                                directory=str(site))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try: yield f'http://127.0.0.1:{server.server_port}/'
    finally: server.shutdown()


def page_problems(page, base: str, path: str) -> list[str]:
    "Open `path` and say what is wrong: a picture that did not load, a link to the site that leads nowhere."
    if page.goto(base + path).status != 200: return [f'{path}: not found']
    page.wait_for_load_state('load')
    problems = []
    pictures = page.eval_on_selector_all('article img', 'els => els.map(e => [e.getAttribute("src").slice(0, 60), e.naturalWidth])')
    problems += [f'{path}: picture {src} did not load' for src, width in pictures if not width]
    if not pictures: problems.append(f'{path}: no picture')
    hrefs = page.eval_on_selector_all('a[href]', 'els => els.map(e => e.href)')
    for url in sorted({h.split('#')[0] for h in hrefs if h.startswith(base)}):
        if page.request.get(url).status != 200: problems.append(f'{path}: link to {url[len(base):]} leads nowhere')
    return problems


def check_site(site: Path) -> tuple[list[str], dict]:
    "Every problem found in the built `site` (none: an empty list), and what was looked at."
    names = notebooks_built()
    problems = notebook_problems(site, names)
    with_pictures = [n for n in names if (site/'notebooks'/n/f'{n}.ipynb').exists()
                     and stored_pictures(json.loads((site/'notebooks'/n/f'{n}.ipynb').read_text()))][:2]
    opened = ['', *(f'notebooks/{n}/' for n in with_pictures)]
    if len(with_pictures) < 2: problems.append(f'only {len(with_pictures)} notebook pages with pictures to open')
    from playwright.sync_api import sync_playwright
    with served(site) as base, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={'width': 1280, 'height': 900})
        outside = []
        page.on('request', lambda r: outside.append(r.url) if not r.url.startswith((base, 'data:')) else None)
        for path in opened: problems += page_problems(page, base, path)
        page.goto(base)
        if not page.locator('article img[src*="screenshots/"]').count(): problems.append('the home page shows no app screenshot')
        # A reader's click: the first notebook in the navigation opens its page.
        link = page.locator(f'nav a[href$="notebooks/{names[0]}/"]').first if names else None
        if link is None or not link.count(): problems.append('no link to a notebook in the navigation')
        else:
            link.click()
            page.wait_for_load_state('load')
            if not page.url.endswith(f'notebooks/{names[0]}/') or not page.locator('.jupyter-wrapper').count():
                problems.append(f'clicking the navigation\'s link to {names[0]} did not open its page')
        problems += [f'fetched from outside the site: {u}' for u in sorted(set(outside))]
        browser.close()
    return problems, dict(notebooks=len(names), opened=opened)


def main() -> int:
    site = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT/'_site')
    problems, seen = check_site(site)
    for p in problems: print(p)
    pages = sum(1 for _ in site.rglob('index.html'))
    print(f'site check: {pages} pages, {seen["notebooks"]} notebook pages complete; opened in Chromium: '
          f'{", ".join(p or "home" for p in seen["opened"])}: ' + (f'{len(problems)} problems' if problems else 'all good'))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
