#!/usr/bin/python3
"""Runs every sample once against a vovrest-fake-server it starts on 127.0.0.1, so that CI proves
the samples work: exit statuses, what they print, the server's counters, and no secret on any
output (get_token's token on its stdout aside: printing it is its purpose).

Usage: run_samples.py <path-to-vovrest-fake-server> <directory-of-sample-programs>
Standard library only; every wait is bounded.
"""
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import termios
import threading
import time
import unittest
import urllib.error
import urllib.request

SERVER = None
SAMPLES = None
TIMEOUT = 30
PASSWORD = "sample-secret-pw"
OUTPUTS = []  # (what, text) of every output seen, for the secrets check


class FakeServer:
    def __enter__(self):
        self.process = subprocess.Popen([SERVER, "--user", "demo:" + PASSWORD, "--job-run-time", "100ms"],
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.url = first_line(self.process, "fake server").split()[-1]
        return self

    def __exit__(self, *exc):
        stop(self.process)

    def stats(self):
        with urllib.request.urlopen(self.url + "/__fake/stats", timeout=TIMEOUT) as answer:
            return json.load(answer)


def first_line(process, what):
    ready, _, _ = select.select([process.stdout], [], [], TIMEOUT)
    line = process.stdout.readline() if ready else ""
    if not line.startswith("listening on "):
        process.kill()
        raise AssertionError("%s: first line %r" % (what, line))
    return line


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


def environment(url, password=PASSWORD, **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("NC_URL", "USER", "VOV_PASSWORD")}
    env.update({"NC_URL": url, "USER": "demo"} if url else {})
    if password is not None:
        env["VOV_PASSWORD"] = password
    env.update(extra)
    return env


def sample(name, *args, env):
    result = subprocess.run([os.path.join(SAMPLES, "sample_" + name), *map(str, args)], env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT)
    OUTPUTS.append((name + " stdout", result.stdout))
    OUTPUTS.append((name + " stderr", result.stderr))
    return result


def http_get(url, headers=None):
    """(status, JSON body) of a GET."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=TIMEOUT) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


class SamplesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = FakeServer().__enter__()
        cls.env = environment(cls.server.url)
        token = sample("get_token", env=cls.env).stdout.strip()
        # A job to read, submitted without the SDK: also proves the printed token is the header.
        request = urllib.request.Request(cls.server.url + "/api/v3/jobs", method="POST",
                                         data=json.dumps({"command": "echo sample"}).encode(),
                                         headers={"Authorization": token, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            cls.job = "%09d" % int(answer.headers["Location"].rsplit("/", 1)[-1])

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)

    def assert_exit(self, result, status):
        self.assertEqual(result.returncode, status, "stdout %r stderr %r" % (result.stdout, result.stderr))

    def test_quick_start(self):
        # The README's "API in a page".
        result = sample("quick_start", env=self.env)
        self.assert_exit(result, 0)
        self.assertRegex(result.stdout, r"job \d{9} ended VALID; \d+ VALID jobs listed; status resource: HTTP 200")

    def test_get_token(self):
        # URL and user from argv, as in getToken.py's getJWT(url, username, password).
        env = environment(None)
        result = sample("get_token", self.server.url, "demo", env=env)
        self.assert_exit(result, 0)
        self.assertRegex(result.stdout, r"^Bearer:[A-Za-z0-9_.-]+\n$")
        status, body = http_get(self.server.url + "/api/v3/project/1/project", {"Authorization": result.stdout.strip()})
        self.assertEqual(status, 200, body)

    def test_get_token_wrong_password(self):
        result = sample("get_token", env=environment(self.server.url, password="wrong"))
        self.assert_exit(result, 1)
        self.assertEqual(result.stdout, "")
        self.assertIn("JWT Error code 401", result.stderr)
        self.assertIn("error message : invalid username or password", result.stderr)

    def test_get_token_without_password_or_terminal(self):
        result = sample("get_token", env=environment(self.server.url, password=None))
        self.assert_exit(result, 1)
        self.assertIn("no password", result.stderr)

    def test_get_token_prompts_without_echo(self):
        master, slave = pty.openpty()
        process = subprocess.Popen([os.path.join(SAMPLES, "sample_get_token")], stdin=slave, stdout=subprocess.PIPE,
                                   stderr=slave, env=environment(self.server.url, password=None), text=True)
        try:
            terminal = read_until(master, "Password:")
            deadline = time.monotonic() + TIMEOUT  # answer once echo is off (TCSAFLUSH drops earlier input)
            while termios.tcgetattr(slave)[3] & termios.ECHO and time.monotonic() < deadline:
                time.sleep(0.005)
            os.write(master, (PASSWORD + "\n").encode())
            out, _ = process.communicate(timeout=TIMEOUT)
            terminal += read_available(master)
        finally:
            os.close(slave)
            os.close(master)
            if process.poll() is None:
                process.kill()
        OUTPUTS.append(("get_token terminal", terminal))
        self.assertEqual(process.returncode, 0, terminal)
        self.assertTrue(out.startswith("Bearer:"), out)

    def test_job_info(self):
        time.sleep(0.3)  # the fake job ends after 150 ms
        result = sample("job_info", self.job, "999999999", env=self.env)
        self.assert_exit(result, 1)  # one of the two was not found
        for line in ("Id:       " + self.job, "User:     demo", "Command:  echo sample", "Status:   VALID",
                     "Host:     fakehost", "no such job"):
            self.assertIn(line, result.stdout)
        self.assertRegex(result.stdout, r"Duration: [01]s\n")  # whole seconds of a 100 ms run
        self.assert_exit(sample("job_info", self.server.url, self.job, env=environment(None, USER="demo")), 0)
        self.assert_exit(sample("job_info", "not-an-id", env=self.env), 2)

    def test_submit_jobs(self):
        before = self.server.stats()
        result = sample("submit_jobs", 300, 16, env=self.env)
        self.assert_exit(result, 0)
        self.assertRegex(result.stdout, r"^submitted 300, failed 0, unknown 0 in .* jobs/s\), 1 token request\(s\)\n$")
        self.assertIn("300/300 done (0 failed, 0 unknown)", result.stderr)
        after = self.server.stats()
        self.assertEqual(after["jobs_created"] - before["jobs_created"], 300)
        self.assertEqual(after["duplicate_submissions"], before["duplicate_submissions"])

    def test_async_server_shares_one_session(self):
        before = self.server.stats()["token_requests"]
        process = subprocess.Popen([os.path.join(SAMPLES, "sample_async_server"), "--requests", "23"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env, text=True)
        try:
            base = first_line(process, "async_server").split()[-1]
            self.assertEqual(http_get(base + "/health"), (200, {"status": "ok"}))
            self.assertEqual(http_get(base + "/jobs/999999999")[0], 404)
            self.assertEqual(http_get(base + "/nothing")[0], 404)
            # Twenty clients at once, on the server's several threads, through its one session.
            answers = []
            clients = [threading.Thread(target=lambda: answers.append(http_get(base + "/jobs/" + self.job)))
                       for _ in range(20)]
            for client in clients:
                client.start()
            for client in clients:
                client.join(TIMEOUT)
            self.assertEqual(len(answers), 20)
            for status, body in answers:
                self.assertEqual(status, 200, body)
                self.assertEqual(body["id"], self.job)
            process.wait(TIMEOUT)  # --requests 23: it stops by itself
            out, err = process.communicate()
        finally:
            stop(process)
        OUTPUTS.append(("async_server", out + err))
        self.assertEqual(process.returncode, 0, err)
        self.assertEqual(self.server.stats()["token_requests"] - before, 1)

    def test_async_server_stops_on_sigterm(self):
        process = subprocess.Popen([os.path.join(SAMPLES, "sample_async_server"), "--port", "0"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env, text=True)
        try:
            base = first_line(process, "async_server").split()[-1]
            self.assertEqual(http_get(base + "/health")[0], 200)
            process.send_signal(signal.SIGTERM)
            process.wait(TIMEOUT)
        finally:
            stop(process)
        self.assertEqual(process.returncode, 0)

    def test_async_server_wrong_password(self):
        result = subprocess.run([os.path.join(SAMPLES, "sample_async_server")], capture_output=True, text=True,
                                env=environment(self.server.url, password="wrong"), timeout=TIMEOUT,
                                stdin=subprocess.DEVNULL)
        self.assert_exit(result, 1)
        self.assertIn("invalid username or password", result.stderr)

    def test_callbacks(self):
        result = sample("callbacks", env=self.env)
        self.assert_exit(result, 0)
        self.assertRegex(result.stdout, r"^project: vovrest\nsubmitted: \d{9}\nstatus: [A-Z]+\nversion: 2024.1.0\n$")
        result = sample("callbacks", env=environment(self.server.url, password="wrong"))
        self.assert_exit(result, 1)
        self.assertIn("HTTP 401: invalid username or password", result.stderr)

    def test_zz_no_secret_printed(self):
        # Named to run last (unittest sorts by name).
        tokens = set(re.findall(r"Bearer:[A-Za-z0-9_.-]+", "".join(t for w, t in OUTPUTS if w == "get_token stdout")))
        for what, text in OUTPUTS:
            self.assertNotIn(PASSWORD, text, what)
            if what != "get_token stdout":
                for token in tokens:
                    self.assertNotIn(token.split(":", 1)[1], text, what)


def read_until(fd, text):
    data = ""
    deadline = time.monotonic() + TIMEOUT
    while text not in data:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError("never saw %r, got %r" % (text, data))
        data += os.read(fd, 4096).decode(errors="replace")
    return data


def read_available(fd):
    data = ""
    while select.select([fd], [], [], 0.1)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        data += chunk.decode(errors="replace")
    return data


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    SERVER, SAMPLES = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)
