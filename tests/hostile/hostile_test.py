#!/usr/bin/python3
"""vovrest against hostile servers (hostile_server.py): the SDK through vovrest-hostile-driver and the
CLI through the vovrest program. Each test asserts what users rely on: the outcome, the error, the
exit status and message, the token requests and requests the server read, peak memory where it
matters, and that no secret leaks into output or core dumps.

Usage: hostile_test.py SUITE PROGRAM [WORD...]   (WORD: run only the tests whose names hold it)
  SUITE sdk | sdk-slow  PROGRAM is vovrest-hostile-driver
  SUITE cli | cli-slow  PROGRAM is vovrest
The -slow suites hold the tests that wait for default timeouts (up to SLOW_BOUND seconds each); their
tests run side by side, so that a suite lasts about one default timeout, not one per test.
Standard library only; 127.0.0.1 only; every wait is bounded.
"""
import glob
import json
import os
import re
import resource
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_server import BIG_TABLE_ROWS, BOGUS_JOB_ID, HostileServer, big_table_body, response  # noqa: E402

PROGRAM = None
TIMEOUT = 60        # any one command against a misbehaving server
SLOW_BOUND = 75     # a command left to its default timeouts (no --timeout, default session_params)
USER = "hostile-user-" + secrets.token_hex(6)  # longer than a short-string buffer: it lives on the heap
PASSWORD = "Hp" + secrets.token_hex(12)        # form-encodes to itself
SHORT_PASSWORD = "Hq" + secrets.token_hex(5)   # 12 bytes: kept inside a std::string object itself
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # what must never reach a terminal raw (\t and \n aside)
SEEN = []  # (what ran, stdout, stderr) of every CLI run and every driver answer, checked for secrets


def directory():
    return tempfile.mkdtemp(prefix="vovrest-hostile-")


def password_file(where, password=PASSWORD):
    path = os.path.join(where, "password")
    with open(path, "w") as f:
        f.write(password + "\n")
    os.chmod(path, 0o600)
    return path


def make_certificate(where, name, san):
    """A self-signed certificate made by openssl now (nothing checked in)."""
    cert, key = os.path.join(where, name + ".pem"), os.path.join(where, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=hostile test", "-addext", "subjectAltName=" + san],
                   check=True, capture_output=True, timeout=TIMEOUT)
    return cert, key


class Driver:
    """vovrest-hostile-driver: one session, one command per call, answers as dicts."""

    def __init__(self, server_url, where, *extra, password=PASSWORD):
        self.args = [PROGRAM, "--url", server_url, "--user", USER, "--password-file", password_file(where, password),
                     *extra]
        self.process = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)

    def send(self, *command):
        self.process.stdin.write(json.dumps(list(command)) + "\n")
        self.process.stdin.flush()

    def answer(self, timeout=TIMEOUT):
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            raise AssertionError("the driver gave no answer within %d s" % timeout)
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError("the driver ended: %s" % self.process.stderr.read())
        SEEN.append(("driver", line, ""))
        return json.loads(line)

    def do(self, *command, timeout=TIMEOUT):
        self.send(*command)
        return self.answer(timeout)

    def close(self):
        """Ends the driver (at the end of its input) or kills it."""
        try:
            self.process.stdin.close()
        except BrokenPipeError:
            pass
        if self.process.poll() is None:
            try:
                self.process.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process.stdout.close()
        self.process.stderr.close()

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(TIMEOUT)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        self.close()
        return False


class Result:
    def __init__(self, status, stdout, stderr, peak_bytes):
        self.status, self.stdout, self.stderr, self.peak_bytes = status, stdout, stderr, peak_bytes


def peak_wrapper(peak_path, command):
    """Runs `command` and writes its peak RSS in bytes to peak_path; exits with its status.

    A child of this test process cannot be measured with ru_maxrss: until it executes its program
    it shares (vfork) or copies (fork) this process's memory, and ru_maxrss keeps that high-water
    mark. This small wrapper process is the parent instead: its own few megabytes are all that can
    be counted in, which only makes the measurement stricter."""
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    with open(peak_path, "w") as f:
        f.write(str(usage.ru_maxrss * 1024))
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code


def cli_environment(where):
    """Every run asks the server itself: no token cache shared between runs, no user's config file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOVREST_")}
    env.update({"VOVREST_TOKEN_CACHE": "off", "XDG_CONFIG_HOME": where, "HOME": where})
    return env


def cli(server_url, where, *args, timeout=TIMEOUT, stdout_path=None, user=USER):
    """Runs vovrest with the password from a file; stdin is /dev/null so that no prompt waits."""
    peak_path = os.path.join(where, "peak")
    command = [sys.executable, os.path.abspath(__file__), "--peak", peak_path, PROGRAM, "--url", server_url,
               "--user", user, "--password-file", password_file(where), *args]
    out = open(stdout_path, "wb") if stdout_path else subprocess.PIPE
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE,
                               start_new_session=True, env=cli_environment(where))
    chunks = {process.stderr: []}
    if not stdout_path:
        chunks[process.stdout] = []
    deadline = time.monotonic() + timeout
    open_streams = list(chunks)
    while open_streams:
        left = deadline - time.monotonic()
        if left <= 0:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(TIMEOUT)
            raise AssertionError("vovrest %s did not end within %d s" % (" ".join(args), timeout))
        ready, _, _ = select.select(open_streams, [], [], left)
        for stream in ready:
            data = os.read(stream.fileno(), 1 << 16)
            if data:
                chunks[stream].append(data)
            else:
                open_streams.remove(stream)
    try:
        process.wait(max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(TIMEOUT)
        raise AssertionError("vovrest %s did not end within %d s" % (" ".join(args), timeout))
    with open(peak_path) as f:
        peak = int(f.read())
    if stdout_path:
        out.close()
    process.stderr.close()
    stdout = b"".join(chunks.get(process.stdout, [])).decode("utf-8", "replace")
    if process.stdout:
        process.stdout.close()
    stderr = b"".join(chunks[process.stderr]).decode("utf-8", "replace")
    SEEN.append((args, stdout if len(stdout) < 1 << 20 else "", stderr))
    return Result(process.returncode, stdout, stderr, peak)


def core_of(pid, where, required=True):
    """A core of a running process taken by gcore (gdb): its bytes; None when gdb could not attach
    and `required` is false (a process that made itself non-dumpable, without CAP_SYS_PTRACE)."""
    prefix = os.path.join(where, "gcore")
    subprocess.run(["gcore", "-o", prefix, str(pid)], capture_output=True, timeout=180)
    paths = glob.glob(prefix + "*")
    if not paths:
        if not required:
            return None
        raise AssertionError("gcore wrote no core of %d" % pid)
    with open(paths[0], "rb") as f:
        data = f.read()
    for path in paths:
        os.remove(path)
    return data


class HostileCase(unittest.TestCase):
    def setUp(self):
        self.where = directory()
        self.servers = []

    def tearDown(self):
        for server in self.servers:
            server.stop()
        shutil.rmtree(self.where, ignore_errors=True)

    def server(self, mode="normal", **options):
        server = HostileServer(mode, **options)
        self.servers.append(server)
        return server

    def assert_clean_text(self, text, what):
        """No control character a terminal would act on, and no secret."""
        self.assertIsNone(CONTROL.search(text), "%s holds a raw control character: %r" % (what, text[:300]))
        self.assertNotIn(PASSWORD, text)


# ============================================================================================
# The SDK (vovrest-hostile-driver)
# ============================================================================================

class SdkTest(HostileCase):
    sanitized = None
    sanitizers = ()  # what the driver was built with: "address", "thread"

    @classmethod
    def setUpClass(cls):
        where = directory()
        with HostileServer("normal") as server, Driver(server.url, where) as d:
            info = d.do("build-info")
        cls.sanitized = info["sanitized"]
        cls.sanitizers = tuple(info["sanitizers"])
        shutil.rmtree(where, ignore_errors=True)

    def driver(self, server_url, *extra, password=PASSWORD):
        return Driver(server_url, self.where, *extra, password=password)

    def assert_failed(self, answer, *errors, echoes_caller=False):
        """Failed with one of `errors`; no control character from the server in the text (a path
        the caller gave is echoed as given when `echoes_caller`), and never the password."""
        self.assertFalse(answer["ok"], answer)
        self.assertIn(answer["error"], errors, answer)
        if echoes_caller:
            self.assertNotIn(PASSWORD, answer["message"])
        else:
            self.assert_clean_text(answer["message"], "the error text")

    # ---- 1. one answer per request, never a wrong id ----

    def check_jobs(self, server, answer, n):
        """Every job has the id the server gave it, or an error that says the answer is unusable."""
        results = answer["results"]
        self.assertEqual(len(results), n)
        ok = 0
        for i, result in enumerate(results):
            self.assertNotEqual(result.get("id"), BOGUS_JOB_ID, "job %d got the other request's id" % i)
            if result["ok"]:
                self.assertEqual(result["id"], server.jobs.get("hj-%d" % i), "job %d got a wrong id" % i)
                ok += 1
            else:
                self.assertIn(result["error"], ("bad_response", "outcome_unknown"), result)
        counts = server.snapshot()
        self.assertLessEqual(counts["job_posts"], n, "a POST was sent twice")
        self.assertEqual(counts["job_posts"], len(server.jobs))
        return ok

    def test_1_a_second_answer_is_never_taken_for_the_next_request(self):
        for connections in ("1", "8"):
            with self.subTest(connections=connections):
                server = self.server("double_answer")
                with self.driver(server.url, "--max-connections", connections) as d:
                    self.check_jobs(server, d.do("submit", 50, 20), 50)

    def test_1_a_response_before_the_request_is_not_its_answer(self):
        """An answer that arrives on an idle connection before the request is written. (One that
        arrives after the request left looks exactly like its answer to any HTTP/1.1 client: no
        test can ask for that; the second answer of test above is the case that can be caught.)"""
        server = self.server()
        with self.driver(server.url, "--max-connections", "1") as d:
            self.assertTrue(d.do("get", "/api/v3/project/1/project")["ok"])
            # The connection is idle in the pool: an answer arrives before any request was sent.
            self.assertEqual(server.inject(response(201, {"jobid": BOGUS_JOB_ID})), 1)
            self.assertEqual(self.check_jobs(server, d.do("submit", 1, 1), 1), 1,
                             "a POST that never left must be sent on a clean connection")
            self.assertEqual(server.snapshot()["connections"], 2, "the polluted connection was reused")
            # The same before a GET: the GET's own answer, never the one that came first.
            self.assertEqual(server.inject(response(200, {"columns": ["project"], "rows": [["bogus"]]})), 1)
            answer = d.do("get", "/api/v3/project/1/project")
            self.assertTrue(answer["ok"], answer)
            self.assertIn("hostile", answer["body"])

    def test_1_bytes_on_an_idle_connection_close_it(self):
        server = self.server()
        with self.driver(server.url, "--max-connections", "1") as d:
            self.assertTrue(d.do("get", "/api/v3/project/1/project")["ok"])
            self.assertEqual(server.inject(b"\r\nxyz garbage"), 1)
            answer = d.do("submit", 1, 1)
            self.check_jobs(server, answer, 1)
            self.assertTrue(answer["results"][0]["ok"], answer)
            self.assertEqual(server.snapshot()["connections"], 2)

    # ---- 2. a server that rejects every token: no storm ----

    def test_2_every_call_401_makes_a_few_token_requests(self):
        server = self.server("reject_all")
        with self.driver(server.url) as d:
            answer = d.do("submit", 3000, 20, timeout=120)
        for result in answer["results"]:
            self.assert_failed(result, "unauthorized")
            self.assertIn("hostile: every token is refused here", result["server_message"])
        counts = server.snapshot()
        self.assertLessEqual(counts["token_requests"], 3, counts)
        self.assertLessEqual(answer["token_requests"], 3, answer["token_requests"])
        self.assertLessEqual(counts["job_posts"], 2 * 3000, counts)

    # ---- 3. a 62 MB table in bounded memory ----

    def test_3_a_62_mb_table_takes_at_most_3x_its_size(self):
        if "thread" in self.sanitizers:
            # Minutes of parsing on the driver's one thread, where the thread sanitizer finds nothing
            # (the release and ASan builds run it).
            self.skipTest("a single-threaded parse of 62 MB under the thread sanitizer")
        server = self.server("big_table")
        with self.driver(server.url) as d:
            answer = d.do("query-table", "/api/v3/query?select=id&format=json", timeout=300)
        peak = answer["peak_rss"]
        self.assertTrue(answer["ok"], answer)
        self.assertEqual(answer["rows"], BIG_TABLE_ROWS)
        self.assertEqual(answer["first_cell"], "7")
        body = answer["body_bytes"]
        self.assertEqual(body, len(big_table_body(False)))
        print("\n  table of %d rows, body %.1f MB: driver peak RSS %.1f MB (%.2fx)"
              % (answer["rows"], body / 1e6, peak / 1e6, peak / body), file=sys.stderr)
        if self.sanitized:
            self.skipTest("peak memory is not measured under sanitizers")
        self.assertLessEqual(peak, 3 * body)

    # ---- 4. control characters and sizes in the token answer ----

    def test_4_a_bad_token_answer_is_bad_response(self):
        for mode in ("token_inject", "token_escape", "token_huge"):
            with self.subTest(mode=mode):
                server = self.server(mode)
                # One token request per renewal: a retried one would meet the same answer.
                with self.driver(server.url, "--token-attempts", "1") as d:
                    answer = d.do("authorize")
                    self.assert_failed(answer, "bad_response")
                    self.assertTrue(answer["client_message"], answer)
                    self.assertIn("token", answer["client_message"])
                    self.assertLess(len(answer["message"]), 1000)
                    self.assertNotIn("eyJ", answer["message"])  # no part of the token shown
                    self.assertFalse(answer["has_token"])
                    after = d.do("get", "/api/v3/project/1/project")
                    self.assertFalse(after["ok"])
                self.assertEqual(server.snapshot()["injected_headers"], 0)
                self.assertEqual(server.snapshot()["api_requests"], 0, "a request went out with that token")

    # ---- 5. interim answers ----

    def test_5_interim_1xx_answers_are_skipped(self):
        server = self.server("interim")
        with self.driver(server.url) as d:
            self.assertTrue(d.do("authorize")["ok"])
            answer = d.do("get", "/api/v3/project/1/project")
            self.assertTrue(answer["ok"], answer)
            self.assertEqual(answer["status"], 200)
            self.assertIn("hostile", answer["body"])
            self.check_jobs(server, d.do("submit", 5, 2), 5)

    # ---- 6. messages that say what happened ----

    def test_6_a_redirected_token_request_is_a_refused_redirect(self):
        elsewhere = self.server()
        server = self.server("token_redirect", redirect_to=elsewhere.url)
        with self.driver(server.url) as d:
            self.assert_failed(d.do("authorize"), "redirect_refused")
        self.assertEqual(elsewhere.snapshot()["requests"], 0)

    def test_6_crlf_in_a_path_or_token_is_invalid_argument_and_nothing_is_sent(self):
        server = self.server()
        with self.driver(server.url) as d:
            for path in ("/api/v3/jobs/1\r\nX-Injected: yes", "/api/v3/jobs/1\nX-Injected: yes",
                         "/api/v3/jobs/1\x00"):
                self.assert_failed(d.do("get", path), "invalid_argument", echoes_caller=True)
            self.assertEqual(server.snapshot()["api_requests"], 0)
            installed = d.do("set-token", "Bearer", "abc\r\nX-Injected: yes")
            if installed["ok"]:
                self.assert_failed(d.do("get", "/api/v3/project/1/project"), "invalid_argument", echoes_caller=True)
            else:
                self.assertEqual(installed["error"], "invalid_argument", installed)
        self.assertEqual(server.snapshot()["injected_headers"], 0)

    # ---- 8. no password in a core dump ----

    def test_8_a_core_during_the_token_request_holds_no_password(self):
        if self.sanitized:
            self.skipTest("gcore of a sanitizer build maps its shadow memory")
        # A long password lives on the heap; a short one inside string objects, copied by moves.
        for password in (PASSWORD, SHORT_PASSWORD):
            with self.subTest(length=len(password)):
                server = self.server("token_silent")
                with self.driver(server.url, password=password) as d:
                    d.send("authorize")
                    self.assertTrue(server.wait_for(lambda c: c["token_requests"] >= 1), "no token request came")
                    self.assertEqual(server.token_forms[0]["password"], [password])  # the secret was in flight
                    core = core_of(d.process.pid, self.where)
                self.assertTrue(USER.encode() in core, "the core is not readable (the user name is in it)")
                self.assertFalse(password.encode() in core, "the core holds the password")
                self.assertFalse(b"&password=" + password[:4].encode() in core, "the core holds the form body")

    # ---- what already holds, kept holding ----

    def test_malformed_answers_are_bad_response(self):
        for mode in ("bad_chunk", "cl_and_te", "huge_header", "many_headers", "huge_length", "garbage"):
            with self.subTest(mode=mode):
                server = self.server(mode)
                with self.driver(server.url) as d:
                    self.assertTrue(d.do("authorize")["ok"])
                    answer = d.do("get", "/api/v3/project/1/project")
                    self.assert_failed(answer, "bad_response")
                if mode == "huge_length" and not self.sanitized:
                    self.assertLess(answer["peak_rss"], 64 << 20, "a 1 GB Content-Length was allocated")

    def test_deep_json_is_bad_response(self):
        server = self.server("deep_json")
        with self.driver(server.url) as d:
            self.assert_failed(d.do("query-table", "/api/v3/query?select=id"), "bad_response")

    def test_a_redirect_is_refused_and_not_followed(self):
        elsewhere = self.server()
        server = self.server("api_redirect", redirect_to=elsewhere.url)
        with self.driver(server.url) as d:
            answer = d.do("get", "/api/v3/project/1/project")
            self.assert_failed(answer, "redirect_refused")
        self.assertEqual(elsewhere.snapshot()["requests"], 0)

    def test_tls_is_verified(self):
        good = make_certificate(self.where, "good", "IP:127.0.0.1")
        wrong_name = make_certificate(self.where, "wrong", "DNS:wrong.example")
        server = self.server(tls=good)
        with self.driver(server.url) as d:
            self.assert_failed(d.do("authorize"), "tls_failed")  # self-signed, not trusted
        with self.driver(server.url, "--ca-file", good[0]) as d:
            self.assertTrue(d.do("authorize")["ok"])
            self.assertTrue(d.do("get", "/api/v3/project/1/project")["ok"])
        server = self.server(tls=wrong_name)
        with self.driver(server.url, "--ca-file", wrong_name[0]) as d:
            self.assert_failed(d.do("authorize"), "tls_failed")  # trusted, but not for 127.0.0.1
        self.assertEqual(server.snapshot()["token_requests"], 0)


class SdkSlowTest(SdkTest):
    """Default bounds: nothing set, the session must still end (generous bounds, no timing)."""

    def test_7_a_token_request_never_answered_ends(self):
        server = self.server("token_silent")
        with self.driver(server.url) as d:
            self.assert_failed(d.do("authorize", timeout=SLOW_BOUND), "timeout")

    def test_7_https_on_a_silent_plain_port_ends(self):
        server = self.server("silent")
        with self.driver(server.url.replace("http://", "https://")) as d:
            self.assert_failed(d.do("authorize", timeout=SLOW_BOUND), "timeout", "tls_failed")


# ============================================================================================
# The CLI (vovrest)
# ============================================================================================

class CliTest(HostileCase):
    def run_cli(self, server, *args, **options):
        return cli(server.url, self.where, *args, **options)

    def assert_one_line_error(self, result, *statuses):
        self.assertIn(result.status, statuses or (1,), "stdout %r stderr %r" % (result.stdout[:500], result.stderr))
        lines = result.stderr.splitlines()
        self.assertEqual(len(lines), 1, result.stderr[:2000])
        self.assertTrue(lines[0].startswith("vovrest: "), result.stderr[:500])
        self.assert_clean_text(result.stderr, "stderr")

    def jobs_file(self, n):
        path = os.path.join(self.where, "jobs")
        with open(path, "w") as f:
            f.write("".join("true %d\n" % i for i in range(n)))
        return path

    # ---- 1 ----

    def test_1_submit_file_never_prints_a_wrong_id(self):
        for connections in ("1", "8"):
            with self.subTest(connections=connections):
                server = self.server("double_answer")
                result = self.run_cli(server, "--connections", connections, "submit", "--file", self.jobs_file(50),
                                      "--concurrency", "20", "--jobname", "hj", timeout=120)
                lines = result.stdout.splitlines()
                self.assertEqual(len(lines), 50, result.stdout)
                good = 0
                # Jobnames carry the batch's tag after the name given: hj-<line>.vovrest-<batch>-<index>.
                id_of = {name.split(".")[0]: job for name, job in server.jobs.items()}
                for number, line in enumerate(lines, 1):
                    self.assertNotEqual(line, "%09d" % BOGUS_JOB_ID, "job %d got the other request's id" % number)
                    if line.startswith("error: "):
                        continue
                    self.assertEqual(int(line), id_of.get("hj-%d" % number), "job %d: wrong id" % number)
                    good += 1
                self.assertEqual(result.status == 0, good == 50, result.stderr)
                self.assertEqual(server.snapshot()["job_posts"], len(server.jobs))

    # ---- 2 ----

    def test_2_every_call_401_stops_quickly(self):
        server = self.server("reject_all")
        result = self.run_cli(server, "submit", "--file", self.jobs_file(3000), "--concurrency", "20", timeout=120)
        self.assertNotEqual(result.status, 0)
        counts = server.snapshot()
        self.assertLessEqual(counts["token_requests"], 3, counts)
        self.assertLessEqual(counts["job_posts"], 2 * 3000, counts)
        lines = result.stdout.splitlines()
        self.assertEqual(len(lines), 3000)
        self.assertTrue(all(line.startswith("error: ") for line in lines), lines[:3])
        self.assertIn("hostile: every token is refused here", lines[0])
        one = self.run_cli(server, "get", "project/1/project")
        self.assert_one_line_error(one, 3)
        self.assertIn("hostile: every token is refused here", one.stderr)

    # ---- 3 ----

    def test_3_query_json_and_csv_do_not_hold_the_table(self):
        server = self.server("big_table")
        for form in ("json", "csv"):
            with self.subTest(format=form):
                body = len(big_table_body(form == "csv"))
                out = os.path.join(self.where, "out." + form)
                result = self.run_cli(server, "query", "--select", "id", "--format", form, stdout_path=out,
                                      timeout=300)
                self.assertEqual(result.status, 0, result.stderr)
                self.assertGreaterEqual(os.path.getsize(out), body - 16)
                os.remove(out)
                print("\n  vovrest query --format %s, body %.1f MB: peak RSS %.1f MB (%.2fx)"
                      % (form, body / 1e6, result.peak_bytes / 1e6, result.peak_bytes / body), file=sys.stderr)
                self.assertLessEqual(result.peak_bytes, 3 * body)

    # ---- 4 ----

    def test_4_a_bad_token_answer_prints_nothing_raw(self):
        for mode in ("token_inject", "token_escape", "token_huge"):
            with self.subTest(mode=mode):
                server = self.server(mode)
                result = self.run_cli(server, "token")
                self.assertNotEqual(result.status, 0)
                self.assertEqual(result.stdout, "")
                self.assert_one_line_error(result, 1)
                self.assertLess(len(result.stderr), 1000)
                self.assertIn("bad response", result.stderr)

    def test_4_escape_sequences_from_the_server_are_escaped(self):
        server = self.server("error_escape")
        result = self.run_cli(server, "get", "/api/v3/jobs/1")
        self.assert_one_line_error(result, 4)
        self.assertIn("no such job", result.stderr)
        server = self.server("cell_escape")
        result = self.run_cli(server, "query", "--select", "id", "--format", "table")
        self.assertEqual(result.status, 0, result.stderr)
        self.assertIn("evil", result.stdout)
        self.assert_clean_text(result.stdout, "the table")

    # ---- 5 ----

    def test_5_interim_answers_are_skipped(self):
        server = self.server("interim")
        result = self.run_cli(server, "get", "project/1/project")
        self.assertEqual(result.status, 0, result.stderr)
        self.assertIn("hostile", result.stdout)

    # ---- 6 ----

    def test_6_a_redirected_token_request_is_not_a_wrong_password(self):
        elsewhere = self.server()
        server = self.server("token_redirect", redirect_to=elsewhere.url)
        result = self.run_cli(server, "token")
        self.assert_one_line_error(result, 1, 2)
        self.assertIn("redirect", result.stderr)
        self.assertNotIn("username or password", result.stderr)
        self.assertEqual(elsewhere.snapshot()["requests"], 0)

    def test_6_crlf_in_a_path_is_an_invalid_argument(self):
        server = self.server()
        result = self.run_cli(server, "get", "/api/v3/jobs/1\r\nX-Injected: yes")
        self.assert_one_line_error(result, 1, 2)
        self.assertRegex(result.stderr, "CR, LF|control character|invalid argument")
        self.assertEqual(server.snapshot()["api_requests"], 0)
        self.assertEqual(server.snapshot()["injected_headers"], 0)

    # ---- 8 ----

    def test_8_no_core_of_the_cli_holds_the_password(self):
        server = self.server("token_silent")
        command = [PROGRAM, "--url", server.url, "--user", USER, "--password-file", password_file(self.where), "token"]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, cwd=self.where, env=cli_environment(self.where),
                                   preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE, (-1, -1)))
        try:
            self.assertTrue(server.wait_for(lambda c: c["token_requests"] >= 1), "no token request came")
            self.assertEqual(server.token_forms[0]["password"], [PASSWORD])
            core = core_of(process.pid, self.where, required=False)
            if core is not None:  # root may attach even to a non-dumpable process
                self.assertFalse(PASSWORD.encode() in core, "gcore: the password is in the CLI's memory")
                self.assertFalse(b"&password=" + PASSWORD[:4].encode() in core, "gcore: the form body is there")
            # A crash now: the kernel writes no core of a process that made itself non-dumpable.
            process.send_signal(signal.SIGQUIT)
            process.wait(TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(TIMEOUT)
        with open("/proc/sys/kernel/core_pattern") as f:
            pattern = f.read().strip()
        if pattern.startswith("|") or "/" in pattern:
            self.skipTest("cores go to %r, not to the process's directory" % pattern)
        kernel_cores = [p for p in os.listdir(self.where) if p.startswith("core")]
        for name in kernel_cores:
            with open(os.path.join(self.where, name), "rb") as f:
                data = f.read()
            self.assertFalse(PASSWORD.encode() in data, "the kernel's core holds the password")
        self.assertEqual(kernel_cores, [], "the CLI is dumpable")

    # ---- what already holds ----

    def test_malformed_answers_fail_cleanly(self):
        for mode in ("bad_chunk", "cl_and_te", "huge_header", "many_headers", "huge_length", "garbage"):
            with self.subTest(mode=mode):
                server = self.server(mode)
                result = self.run_cli(server, "get", "project/1/project")
                self.assert_one_line_error(result, 1)
                self.assertIn("bad response", result.stderr)
        server = self.server("deep_json")
        result = self.run_cli(server, "query", "--select", "id", "--format", "table")
        self.assert_one_line_error(result, 1)

    def test_redirects_are_refused(self):
        elsewhere = self.server()
        server = self.server("api_redirect", redirect_to=elsewhere.url)
        result = self.run_cli(server, "get", "project/1/project")
        self.assert_one_line_error(result, 1)
        self.assertIn("redirect", result.stderr)
        self.assertEqual(elsewhere.snapshot()["requests"], 0)

    def test_tls_is_verified(self):
        good = make_certificate(self.where, "good", "IP:127.0.0.1")
        wrong_name = make_certificate(self.where, "wrong", "DNS:wrong.example")
        server = self.server(tls=good)
        self.assert_one_line_error(self.run_cli(server, "token"), 1)
        self.assertEqual(self.run_cli(server, "--cacert", good[0], "get", "project/1/project").status, 0)
        server = self.server(tls=wrong_name)
        self.assert_one_line_error(self.run_cli(server, "--cacert", wrong_name[0], "token"), 1)
        self.assertEqual(server.snapshot()["token_requests"], 0)

    def test_secrets_stay_out_of_ps_verbose_output_and_errors(self):
        server = self.server()
        self.assertEqual(self.run_cli(server, "-v", "get", "project/1/project").status, 0)
        for mode in ("reject_all", "token_redirect", "garbage"):
            self.run_cli(self.server(mode), "-v", "get", "project/1/project")
        silent = self.server("token_silent")
        command = [PROGRAM, "--url", silent.url, "--user", USER, "--password-file", password_file(self.where), "token"]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, env=cli_environment(self.where))
        try:
            self.assertTrue(silent.wait_for(lambda c: c["token_requests"] >= 1))
            with open("/proc/%d/cmdline" % process.pid, "rb") as f:
                self.assertFalse(PASSWORD.encode() in f.read(), "the password is on the command line")
        finally:
            process.kill()
            process.wait(TIMEOUT)
        self.assertGreater(len(SEEN), 4)
        token = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")
        for args, out, err in SEEN:
            self.assertNotIn(PASSWORD, out, args)
            self.assertNotIn(PASSWORD, err, args)
            self.assertIsNone(token.search(err), args)


class CliSlowTest(CliTest):
    def test_7_a_token_request_never_answered_ends(self):
        server = self.server("token_silent")
        result = self.run_cli(server, "token", timeout=SLOW_BOUND)
        self.assert_one_line_error(result, 1)
        self.assertIn("tim", result.stderr)  # "timeout", "timed out"

    def test_7_https_on_a_silent_plain_port_ends(self):
        server = self.server("silent")
        result = cli(server.url.replace("http://", "https://"), self.where, "token", timeout=SLOW_BOUND)
        self.assert_one_line_error(result, 1)


class RecordedResult:
    """Takes a test's result calls (startTest, addSuccess, addFailure...) to replay them later."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        return lambda *args, **kwargs: self.calls.append((name, args, kwargs))


class SideBySideSuite(unittest.TestSuite):
    """Runs its tests (of one class) side by side, each in its own thread, then reports them in
    order: the slow tests spend their time waiting for the SDK's default timeouts."""

    def run(self, result, debug=False):
        tests = list(self)
        if not tests:
            return result
        cls = type(tests[0])
        try:
            cls.setUpClass()
        except Exception:  # reported as the suite's error, as unittest does
            result.addError(tests[0], sys.exc_info())
            return result
        recorded = [RecordedResult() for _ in tests]
        threads = [threading.Thread(target=test.run, args=(record,)) for test, record in zip(tests, recorded)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for record in recorded:
            for name, args, kwargs in record.calls:
                method = getattr(result, name, None)
                if method is not None:
                    method(*args, **kwargs)
        cls.tearDownClass()
        return result


def suite_of(name):
    loader = unittest.TestLoader()
    fast = {"sdk": SdkTest, "cli": CliTest}
    slow = {"sdk-slow": SdkSlowTest, "cli-slow": CliSlowTest}
    if name in fast:
        return loader.loadTestsFromTestCase(fast[name])
    # The slow classes inherit the fast tests (for their helpers): run only their own.
    cls = slow[name]
    own = [n for n in loader.getTestCaseNames(cls) if n in cls.__dict__]
    return SideBySideSuite(cls(n) for n in own)


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "--peak":
        sys.exit(peak_wrapper(sys.argv[2], sys.argv[3:]))
    if len(sys.argv) < 3 or sys.argv[1] not in ("sdk", "sdk-slow", "cli", "cli-slow"):
        sys.exit(__doc__)
    PROGRAM = sys.argv[2]
    tests = suite_of(sys.argv[1])
    if len(sys.argv) > 3:  # only the tests whose names hold one of these words
        tests = type(tests)(t for t in tests if any(word in t.id() for word in sys.argv[3:]))
    result = unittest.TextTestRunner(verbosity=2).run(tests)
    sys.exit(0 if result.wasSuccessful() else 1)
