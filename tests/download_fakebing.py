"""Test helper: a local stand-in for Bing's image search and for the sites its results point to.

Used by `tests/test_download.py` and `notebooks/01_download.ipynb`, so that downloads are tested offline.
"""
from __future__ import annotations
import threading, urllib.parse
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

@contextmanager
def fake_bing(results: dict[str, list[str]], files: dict[str, bytes|int], per_page: int = 35):
    """Serve Bing-like search pages on 127.0.0.1 and the images they list; yield `(search_url, requests)`.

    `results[query]` lists names of `files`, or is an int: the HTTP status the search answers. Like Bing, a search
    answers `per_page` results from offset `first` as `murl&quot;:&quot;URL&quot;` entries. `/img/NAME` answers `files[NAME]`:
    bytes, or an int HTTP status (404 if absent). `requests` collects the paths asked for, to check what was fetched."""
    requests = []
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args): pass  # keep test output clean
        def _send(self, body: bytes, ctype: str):
            self.send_response(200)
            self.send_header('Content-Type', ctype); self.send_header('Content-Length', str(len(body)))
            self.end_headers(); self.wfile.write(body)
        def do_GET(self):
            requests.append(self.path)
            url = urllib.parse.urlsplit(self.path)
            if url.path == '/images/async':
                q = urllib.parse.parse_qs(url.query)
                first = int(q.get('first', ['0'])[0])
                names = results.get(q.get('q', [''])[0], [])
                if isinstance(names, int): return self.send_error(names)
                names = names[first:first+per_page]
                base = f'http://127.0.0.1:{self.server.server_address[1]}/img/'
                items = ''.join(f'<a class="iusc" m="{{&quot;murl&quot;:&quot;{base}{n}&quot;}}"></a>\n' for n in names)
                return self._send(items.encode(), 'text/html; charset=utf-8')
            data = files.get(url.path.removeprefix('/img/'), 404)
            if isinstance(data, int): return self.send_error(data)
            self._send(data, 'image/jpeg')
    srv = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, kwargs=dict(poll_interval=0.05), daemon=True); t.start()
    try: yield f'http://127.0.0.1:{srv.server_address[1]}/images/async', requests
    finally:
        srv.shutdown(); srv.server_close(); t.join()

def closed_port_url() -> str:
    "A search URL on 127.0.0.1 where nothing listens: connecting to it is refused."
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]
    return f'http://127.0.0.1:{port}/images/async'
