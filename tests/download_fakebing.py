"""Test helper: a local stand-in for Bing's image search and for the sites its results point to.

Used by `tests/test_download.py`, `notebooks/01_download.ipynb` and `benchmarks/bench_download.py`, so that
downloads are tested (and timed) offline.
"""
from __future__ import annotations
import threading, time, urllib.parse
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

@dataclass
class Redirect:
    "Answer with a 302 to `/img/<to>` on the same server."
    to: str

@dataclass
class Slow:
    "Wait `seconds` before answering with `then` (a host slower than the client's timeout, or a long download)."
    seconds: float
    then: object

DROP = 'drop'  # an answer: close the connection without a word (the client sees it reset or dropped)

@contextmanager
def fake_bing(results: dict[str, list[str]|int], files: dict[str, object], per_page: int = 35,
              latency: float = 0., hosts: int = 1):
    """Serve Bing-like search pages on 127.0.0.1 and the images they list; yield `(search_url, requests)`.

    `results[query]` lists names of `files`, or is an int: the HTTP status the search answers. Like Bing, a search
    answers `per_page` results from offset `first` as `murl&quot;:&quot;URL&quot;` entries. `/img/NAME` answers `files[NAME]`:
    bytes, an int HTTP status (404 if absent), a `Redirect`, a `Slow`, `DROP`, or a list of these answered in turn (the last
    one repeats: `[503, data]` fails once, then works). Every image request waits `latency` seconds first. With
    `hosts` > 1 the images are served by that many servers (other ports), the results spread over them in turn.
    `requests` collects the paths asked for; `requests.served`, the image names sent in full; `requests.peak`, the
    most image requests each image server (by port) was answering at once."""
    requests, lock, asked, busy = Requests(), threading.Lock(), {}, Counter()
    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.0'
        def log_message(self, *args): pass  # keep test output clean
        def _send(self, body: bytes, ctype: str):
            self.send_response(200)
            self.send_header('Content-Type', ctype); self.send_header('Content-Length', str(len(body)))
            self.end_headers(); self.wfile.write(body)
        def _answer(self, name: str, answer):
            if isinstance(answer, Slow): time.sleep(answer.seconds); answer = answer.then
            if isinstance(answer, int): return self.send_error(answer)
            if answer == DROP: self.close_connection = True; return
            if isinstance(answer, Redirect):
                self.send_response(302); self.send_header('Location', f'/img/{answer.to}')
                self.send_header('Content-Length', '0'); return self.end_headers()
            self._send(answer, 'image/jpeg')
            requests.served.append(name)
        def do_GET(self):
            requests.append(self.path)
            url = urllib.parse.urlsplit(self.path)
            if url.path == '/images/async':
                q = urllib.parse.parse_qs(url.query)
                first = int(q.get('first', ['0'])[0])
                names = results.get(q.get('q', [''])[0], [])
                if isinstance(names, int): return self.send_error(names)
                items = ''.join(f'<a class="iusc" m="{{&quot;murl&quot;:&quot;{bases[(first+i) % len(bases)]}{n}&quot;}}"></a>\n'
                                for i, n in enumerate(names[first:first+per_page]))
                return self._send(items.encode(), 'text/html; charset=utf-8')
            host = self.server.server_address[1]
            with lock: busy[host] += 1; requests.peak[host] = max(requests.peak[host], busy[host])
            try:
                time.sleep(latency)
                name = url.path.removeprefix('/img/')
                answer = files.get(name, 404)
                if isinstance(answer, list):
                    with lock: i = asked[name] = asked.get(name, -1) + 1
                    answer = answer[min(i, len(answer)-1)]
                self._answer(name, answer)
            except (BrokenPipeError, ConnectionResetError): pass  # the client gave up (a timeout, a size cap)
            finally:
                with lock: busy[host] -= 1
    with ExitStack() as stack:
        servers = [stack.enter_context(_serve(Handler)) for _ in range(max(1, hosts))]
        bases = [f'http://127.0.0.1:{s.server_address[1]}/img/' for s in servers]
        yield f'http://127.0.0.1:{servers[0].server_address[1]}/images/async', requests

class Requests(list):
    "The paths asked for, in order; `.served`: the names of the images sent in full; `.peak`: most at once, per port."
    def __init__(self): super().__init__(); self.served, self.peak = [], Counter()

@contextmanager
def _serve(handler):
    "A threading HTTP server on a free port of 127.0.0.1, running while in the block."
    srv = ThreadingHTTPServer(('127.0.0.1', 0), handler)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, kwargs=dict(poll_interval=0.05), daemon=True); t.start()
    try: yield srv
    finally:
        srv.shutdown(); srv.server_close(); t.join()

def closed_port_url() -> str:
    "A search URL on 127.0.0.1 where nothing listens: connecting to it is refused."
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]
    return f'http://127.0.0.1:{port}/images/async'
