"""The mybinder.org link of this clone: from its `origin` remote and default branch, the URL that opens the
app and the README badge. `make binder` runs it; it needs only Python and git.

    python binder/link.py [--remote URL] [--branch NAME]
"""
import argparse, re, subprocess, sys
from urllib.parse import quote

APP = 'urlpath=voila/render/notebooks/app.ipynb'


def public(remote: str) -> str:
    "`remote` without the user name and token that an https URL may carry: they must not go into a public link."
    return re.sub(r'^(https?://)[^@/]+@', r'\1', remote.strip())


def binder_url(remote: str, branch: str) -> str:
    "The mybinder.org URL that builds `remote` at `branch` and opens the app."
    remote = public(remote)
    m = re.match(r'^(?:https?://|ssh://)?(?:[^@/]+@)?(github\.com|gitlab\.com)[:/](.+?)(?:\.git)?/?$', remote.strip())
    if m and m[1] == 'github.com': return f'https://mybinder.org/v2/gh/{m[2]}/{quote(branch, safe="")}?{APP}'
    if m: return f'https://mybinder.org/v2/gl/{quote(m[2], safe="")}/{quote(branch, safe="")}?{APP}'
    return f'https://mybinder.org/v2/git/{quote(remote.strip(), safe="")}/{quote(branch, safe="")}?{APP}'


def badge(url: str) -> str:
    "The README badge markdown for `url`."
    return f'[![Binder](https://mybinder.org/badge_logo.svg)]({url})'


def _git(*args) -> str:
    r = subprocess.run(['git', *args], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else ''


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--remote', help="the repository's URL (default: this clone's origin)")
    p.add_argument('--branch', help="the branch Binder builds (default: origin's default branch, else the current one)")
    a = p.parse_args(argv)
    remote = public(a.remote or _git('remote', 'get-url', 'origin'))
    if not remote:
        print('make binder: this clone has no `origin` remote: publish it (e.g. git remote add origin '
              'https://github.com/YOU/cat-classifier.git && git push -u origin main), then run make binder again', file=sys.stderr)
        return 1
    branch = a.branch or _git('symbolic-ref', '--short', 'refs/remotes/origin/HEAD').removeprefix('origin/') \
             or _git('branch', '--show-current') or 'main'
    url = binder_url(remote, branch)
    print(f'Binder link for {remote} ({branch}):\n  {url}\nREADME badge (replace the first line of README.md with it):\n  {badge(url)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
