#!/usr/bin/python3
"""A hostile Accelerator: an HTTP/1.1 server on 127.0.0.1 that misbehaves in one chosen way (its
mode) and counts everything it read, so that tests can check what a client did to it.

Imported by hostile_test.py (HostileServer), or run on its own for a manual look:
    hostile_server.py MODE [--tls CERT KEY]
prints "listening on <url>" and "counts on <url>" (GET there returns the counts as JSON).
Standard library only.
"""
import base64
import fcntl
import json
import socket
import ssl
import struct
import sys
import termios
import threading
import time
import urllib.parse

# Every mode, with what the server does differently from a plain, well-behaved Accelerator.
MODES = {
    "normal": "a well-behaved Accelerator (tokens, jobs, tables); inject() adds bytes on an idle connection",
    "double_answer": "each POST /api/v3/jobs answered twice: the right id, then jobid 999999",
    "reject_all": "tokens are issued, every other request gets 401",
    "big_table": "GET /api/v3/query answers 15.5 million one-cell rows (62 MB; CSV when format=csv)",
    "token_inject": 'token_type "Bearer\\r\\nX-Injected: yes"',
    "token_escape": "an ESC sequence inside access_token",
    "token_huge": "a 10 MB access_token",
    "error_escape": "every API request gets 404 whose error text holds ESC sequences",
    "cell_escape": "query answers hold a cell with ESC and BEL",
    "interim": "every answer preceded by 100 Continue and 103 Early Hints",
    "token_redirect": "POST /api/v3/token answered 307 to another port",
    "api_redirect": "every API request answered 302 to another port",
    "token_silent": "the token request is read and never answered",
    "silent": "connections are accepted, nothing is read or sent",
    "bad_chunk": "API answers chunked with an invalid chunk size",
    "cl_and_te": "API answers with both Content-Length and Transfer-Encoding: chunked",
    "huge_header": "API answers with a 1 MB header",
    "many_headers": "API answers with 10,000 headers",
    "huge_length": "API answers Content-Length: 1 GB, sends 1 KB and closes",
    "garbage": "API answers bytes that are not HTTP",
    "deep_json": "API answers 200 with JSON nested 100,000 deep",
}

BOGUS_JOB_ID = 999999
BIG_TABLE_ROWS = 15_500_000
HUGE_TOKEN_BYTES = 10 * 1000 * 1000
TOKEN_LIFETIME = 3600
MAX_REQUEST_HEAD = 1 << 20
MAX_REQUEST_BODY = 16 << 20
SOCKET_TIMEOUT = 300  # a safety net: a test never leaves a connection thread behind for longer

_big_cache = {}


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(subject, lifetime=TOKEN_LIFETIME):
    now = int(time.time())
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64url(json.dumps({"sub": subject, "iat": now, "exp": now + lifetime}).encode())
    return "%s.%s.%s" % (header, payload, _b64url(b"hostile-signature"))


def response(status, body=b"", headers=(), reason=None, content_type="application/json"):
    """A complete HTTP/1.1 answer with a Content-Length."""
    if isinstance(body, str):
        body = body.encode()
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    reason = reason or {200: "OK", 201: "Created", 302: "Found", 307: "Temporary Redirect", 401: "Unauthorized",
                        404: "Not Found"}.get(status, "Status")
    head = "HTTP/1.1 %d %s\r\n" % (status, reason)
    if content_type:
        head += "Content-Type: %s\r\n" % content_type
    for name, value in headers:
        head += "%s: %s\r\n" % (name, value)
    head += "Content-Length: %d\r\n\r\n" % len(body)
    return head.encode() + body


def one_column_table(field, values):
    return {"startrow": 1, "endrow": len(values), "query": "", "errormsg": "",
            "columns": [{"col": 0, "field": field}], "rows": [[v] for v in values]}


def big_table_body(csv):
    """15.5 million one-cell rows: 62 MB of JSON ("[7]," per row) or of CSV ("123\\n" per row)."""
    key = "csv" if csv else "json"
    if key not in _big_cache:
        if csv:
            _big_cache[key] = b"id\n" + b"123\n" * BIG_TABLE_ROWS
        else:
            head = b'{"startrow":1,"endrow":%d,"query":"SELECT id FROM jobs","errormsg":"",' \
                   b'"columns":[{"col":0,"field":"id"}],"rows":[' % BIG_TABLE_ROWS
            _big_cache[key] = head + b"[7]," * (BIG_TABLE_ROWS - 1) + b"[7]]}"
    return _big_cache[key]


class Request:
    def __init__(self, method, target, headers, body):
        self.method = method
        self.target = target
        self.path, _, self.query = target.partition("?")
        self.headers = headers  # lower-case names
        self.body = body


def _unsent_bytes(sock):
    """Bytes this socket has written that the peer's kernel has not yet acknowledged."""
    try:
        return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0]
    except OSError:
        return 0


class Connection:
    def __init__(self, server, sock):
        self.server = server
        self.sock = sock
        self.buffer = b""
        self.idle = False  # waiting for the next request after a complete answer
        self.send_lock = threading.Lock()  # an answer and injected bytes never interleave

    def read_request(self):
        """The next request, or None at EOF. Refuses what no client of ours would send."""
        while b"\r\n\r\n" not in self.buffer:
            if len(self.buffer) > MAX_REQUEST_HEAD:
                return None
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            return None
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or "0")
        if length > MAX_REQUEST_BODY:
            return None
        while len(self.buffer) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return Request(parts[0], parts[1], headers, body)

    def send(self, data, then_idle=False):
        with self.send_lock:
            if then_idle:
                with self.server.lock:
                    self.idle = True  # before the bytes leave: the client may act on them at once
                    self.server.latest = self
            self.sock.sendall(data)

    def wait_delivered(self, timeout=10):
        """Until the peer's kernel holds every byte sent (an event, not a sleep: polled)."""
        deadline = time.monotonic() + timeout
        while _unsent_bytes(self.sock) > 0:
            if time.monotonic() > deadline:
                raise AssertionError("the client did not take %d bytes" % _unsent_bytes(self.sock))
            time.sleep(0.001)


class HostileServer:
    """One listening socket on 127.0.0.1, port 0; a thread per connection."""

    def __init__(self, mode="normal", tls=None, redirect_to="http://127.0.0.1:9"):
        if mode not in MODES:
            raise ValueError("unknown mode %r" % mode)
        self.mode = mode
        self.redirect_to = redirect_to
        self.tls_context = None
        if tls:
            self.tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls_context.load_cert_chain(*tls)
        self.lock = threading.Condition()
        self.stopping = threading.Event()
        self.connections = []
        self.latest = None        # the connection that carried the latest answer
        self.next_job = 1001
        self.counts = {"connections": 0, "requests": 0, "token_requests": 0, "job_posts": 0, "api_requests": 0,
                       "handshakes_failed": 0, "injected_headers": 0}
        self.paths = []           # every request target read, in order
        self.token_forms = []     # the decoded form of each token request (tests check the password came)
        self.jobs = {}            # jobname -> the id this server gave it
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1024)
        self.port = self.listener.getsockname()[1]
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.port)
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    # ---- what tests read and do ----

    def snapshot(self):
        with self.lock:
            return dict(self.counts)

    def wait_for(self, predicate, timeout=30):
        """Until predicate(counts) holds; False when the timeout (a safety net) passed first."""
        with self.lock:
            return self.lock.wait_for(lambda: predicate(self.counts), timeout)

    def inject(self, data, timeout=10):
        """Sends `data` on the connection that carried the latest answer, if it is idle (waiting
        for its next request), and returns once the client's kernel holds it. The number of
        connections it went to: 0 or 1."""
        with self.lock:
            target = self.latest if self.latest in self.connections and self.latest.idle else None
        if target is None:
            return 0
        target.send(data)
        target.wait_delivered(timeout)
        return 1

    def stop(self):
        self.stopping.set()
        try:
            # shutdown() wakes the accept() blocked in _accept_loop; close() alone would not.
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            connections = list(self.connections)
        for c in connections:
            try:
                c.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.sock.close()
        self.thread.join(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # ---- serving ----

    def _bump(self, name, by=1):
        with self.lock:
            self.counts[name] += by
            self.lock.notify_all()

    def _accept_loop(self):
        while not self.stopping.is_set():
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self._bump("connections")
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock):
        sock.settimeout(SOCKET_TIMEOUT)
        if self.mode == "silent":
            self.stopping.wait(SOCKET_TIMEOUT)
            sock.close()
            return
        if self.tls_context:
            try:
                sock = self.tls_context.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError):
                self._bump("handshakes_failed")
                sock.close()
                return
        connection = Connection(self, sock)
        with self.lock:
            self.connections.append(connection)
        try:
            while not self.stopping.is_set():
                request = connection.read_request()
                with self.lock:
                    connection.idle = False
                if request is None:
                    break
                with self.lock:
                    self.counts["requests"] += 1
                    if "x-injected" in request.headers:
                        self.counts["injected_headers"] += 1
                    self.paths.append(request.target)
                    self.lock.notify_all()
                answer = self._answer(request)
                if answer is None:  # never answered: hold the connection until the end
                    self.stopping.wait(SOCKET_TIMEOUT)
                    break
                if self.mode == "interim":
                    answer = (b"HTTP/1.1 100 Continue\r\n\r\n"
                              b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" + answer)
                closing = self.mode in ("huge_length", "garbage") and not request.path.endswith("/token")
                connection.send(answer, then_idle=not closing)
                if closing:
                    break
        except (OSError, ValueError):
            pass
        finally:
            with self.lock:
                if connection in self.connections:
                    self.connections.remove(connection)
            try:
                sock.close()
            except OSError:
                pass

    def _answer(self, request):
        """The bytes to send for one request; None to never answer."""
        if request.method == "POST" and request.path == "/api/v3/token":
            return self._token(request)
        self._bump("api_requests")
        if request.method == "POST" and request.path == "/api/v3/jobs":
            self._bump("job_posts")
        mode = self.mode
        if mode == "reject_all":
            return response(401, {"error": "hostile: every token is refused here"})
        if mode == "error_escape":
            return response(404, {"error": "no such job \x1b[2J\x1b[31mred\x1b]0;pwned\x07"})
        if mode == "api_redirect":
            return response(302, b"", [("Location", self.redirect_to + request.target)])
        if mode == "bad_chunk":
            return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"zz\r\n{}\r\n0\r\n\r\n")
        if mode == "cl_and_te":
            return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
        if mode == "huge_header":
            return b"HTTP/1.1 200 OK\r\nX-Huge: " + b"h" * (1 << 20) + b"\r\nContent-Length: 2\r\n\r\n{}"
        if mode == "many_headers":
            fields = b"".join(b"X-H%d: v\r\n" % i for i in range(10000))
            return b"HTTP/1.1 200 OK\r\n" + fields + b"Content-Length: 2\r\n\r\n{}"
        if mode == "huge_length":
            return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n" \
                   + b"[" * 1024
        if mode == "garbage":
            return b"\x00\xff\xfeSSH-2.0-not-http\r\n\x1b[2J" + bytes(range(256))
        if mode == "deep_json":
            return response(200, b"[" * 100000 + b"]" * 100000)
        return self._route(request)

    def _token(self, request):
        form = urllib.parse.parse_qs(request.body.decode("latin-1"))
        with self.lock:
            self.counts["token_requests"] += 1
            self.token_forms.append(form)
            self.lock.notify_all()
        user = form.get("username", ["nobody"])[0]
        token_type, token = "Bearer", make_jwt(user)
        mode = self.mode
        if mode == "token_silent":
            return None
        if mode == "token_redirect":
            return response(307, b"", [("Location", self.redirect_to + "/api/v3/token")])
        if mode == "token_inject":
            token_type = "Bearer\r\nX-Injected: yes"
        elif mode == "token_escape":
            token = token + "\x1b[31m\x1b]0;pwned\x07"
        elif mode == "token_huge":
            token = token + "A" * HUGE_TOKEN_BYTES
        return response(200, {"token_type": token_type, "access_token": token, "expires_in": TOKEN_LIFETIME})

    def _route(self, request):
        path = request.path
        if request.method == "POST" and path == "/api/v3/jobs":
            try:
                spec = json.loads(request.body or b"{}")
            except ValueError:
                return response(400, {"error": "the job is not JSON"})
            with self.lock:
                job = self.next_job
                self.next_job += 1
                self.jobs[spec.get("jobname", "job-%d" % job)] = job
            answer = response(201, {"jobid": job})
            if self.mode == "double_answer":
                answer += response(201, {"jobid": BOGUS_JOB_ID})
            return answer
        if request.method == "GET" and path == "/api/v3/query":
            params = urllib.parse.parse_qs(request.query)
            csv = params.get("format", ["json"])[0] == "csv"
            if self.mode == "big_table":
                return response(200, big_table_body(csv), content_type="text/csv" if csv else "application/json")
            if self.mode == "cell_escape":
                cell = "evil\x1b[31m red\x1b]0;pwned\x07"
                if csv:
                    return response(200, "id\n" + cell + "\n", content_type="text/csv")
                return response(200, one_column_table("id", [cell]))
            return response(200, one_column_table("id", [1001]))
        if request.method == "GET" and path == "/api/v3/project/1/project":
            return response(200, one_column_table("project", ["hostile"]))
        if request.method == "GET" and path.startswith("/api/v3/jobs/"):
            return response(200, {"columns": ["id", "status"], "rows": [[path.rsplit("/", 1)[-1], "VALID"]]})
        return response(404, {"error": "hostile: no such resource"})


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in MODES:
        sys.exit("usage: hostile_server.py MODE [--tls CERT KEY]\nmodes:\n" +
                 "\n".join("  %-15s %s" % item for item in MODES.items()))
    tls = tuple(sys.argv[3:5]) if len(sys.argv) >= 5 and sys.argv[2] == "--tls" else None
    server = HostileServer(sys.argv[1], tls=tls)

    import http.server

    class Counts(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(server.snapshot()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    control = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counts)
    print("listening on %s" % server.url, flush=True)
    print("counts on http://127.0.0.1:%d/" % control.server_address[1], flush=True)
    try:
        control.serve_forever()
    except KeyboardInterrupt:
        pass
    server.stop()


if __name__ == "__main__":
    main()
