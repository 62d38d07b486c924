#!/usr/bin/python3
"""vovrest-fake-server's command line, driven from outside: --help, bad options (usage on
stderr, exit 2), HTTPS with the generated certificate or given files (verified by requests),
fault flags, SIGINT.

Usage: program_options_test.py <path-to-vovrest-fake-server>
"""
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

import requests

SERVER = None
TIMEOUT = 10

EVERY_OPTION = [
    "--listen", "--user", "--token-lifetime", "--expires-in", "--tls", "--cert", "--key",
    "--write-cert", "--threads", "--latency", "--token-latency", "--fail-first-tokens",
    "--fail-fraction", "--retry-after", "--close-fraction", "--silent-close-fraction",
    "--drop-before-response-fraction", "--revoke-every", "--max-connections", "--never-respond",
    "--kill-after-jobs",
    "--job-schedule-delay", "--job-run-time", "--forget-after", "--seed", "--help",
]


class Server:
    """The program as a context manager: started, its URL read from the first line, stopped
    with a signal and its exit code checked."""

    def __init__(self, *args, stop_signal=signal.SIGTERM):
        self.args = [SERVER, *args]
        self.stop_signal = stop_signal

    def __enter__(self):
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        if not selector.select(TIMEOUT):
            self.process.kill()
            raise AssertionError("no first line within %d s" % TIMEOUT)
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            self.process.kill()
            raise AssertionError("first line %r, stderr %r" % (line, self.process.stderr.read()))
        self.url = line.split()[-1]
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
        try:
            code = self.process.wait(TIMEOUT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.process.stdout.close()
            self.process.stderr.close()
        if exc[0] is None and code != 0:
            raise AssertionError("exit code %d" % code)
        return False


def run(*args):
    return subprocess.run([SERVER, *args], capture_output=True, text=True, timeout=TIMEOUT)


def token(url, verify=True, user="demo", password="demo"):
    return requests.post(url + "/api/v3/token", data={"username": user, "password": password},
                         verify=verify, timeout=TIMEOUT)


class ProgramOptionsTest(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="vovrest-fake-server-test-")

    def tearDown(self):
        shutil.rmtree(self.directory)

    def test_help_documents_every_option(self):
        result = run("--help")
        self.assertEqual(result.returncode, 0)
        for option in EVERY_OPTION:
            self.assertIn(option, result.stdout)

    def test_bad_options_print_usage_and_exit_2(self):
        for args in (["--bogus"], ["--latency", "fast"], ["--latency"], ["--close-fraction", "2"],
                     ["--user", ":pw"], ["--user", "nopassword"], ["--threads", "0"],
                     ["--listen", "nowhere"], ["--key", "k.pem"], ["--write-cert", "c.pem"],
                     ["--tls=yes"], ["--token-lifetime", "0s"]):
            result = run(*args)
            self.assertEqual(result.returncode, 2, args)
            self.assertIn("usage:", result.stderr, args)
            self.assertEqual(result.stdout, "", args)

    def test_password_is_never_printed(self):
        result = run("--user", "alice:hunter2", "--user", "nopw")
        self.assertEqual(result.returncode, 2)
        self.assertNotIn("hunter2", result.stdout + result.stderr)

    def test_listen_port_and_sigint(self):
        with Server("--listen", "127.0.0.1:0", "--threads", "2", stop_signal=signal.SIGINT) as server:
            self.assertTrue(server.url.startswith("http://127.0.0.1:"))
            self.assertEqual(token(server.url).status_code, 200)

    def test_tls_with_the_generated_certificate(self):
        cert = os.path.join(self.directory, "server.pem")
        with Server("--tls", "--write-cert", cert) as server:
            self.assertTrue(server.url.startswith("https://127.0.0.1:"))
            r = token(server.url, verify=cert)  # verified: chain and host name
            self.assertEqual(r.status_code, 200, r.text)
            with self.assertRaises(requests.exceptions.SSLError):
                token(server.url, verify=True)  # the system store knows nothing of it

    def test_tls_with_given_files(self):
        if shutil.which("openssl") is None:
            self.skipTest("the openssl program is not installed")
        cert = os.path.join(self.directory, "cert.pem")
        key = os.path.join(self.directory, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", key, "-out", cert,
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=TIMEOUT)
        with Server("--cert", cert, "--key", key) as server:
            r = token(server.url.replace("127.0.0.1", "localhost"), verify=cert)
            self.assertEqual(r.status_code, 200, r.text)

    def test_fault_flags_reach_the_server(self):
        with Server("--fail-first-tokens", "1", "--retry-after", "2s", "--close-fraction", "1",
                    "--expires-in", "--token-lifetime", "90s") as server:
            first = token(server.url)
            self.assertEqual(first.status_code, 503)
            self.assertEqual(first.headers["Retry-After"], "2")
            second = token(server.url)
            self.assertEqual(second.status_code, 200)
            self.assertEqual(second.json()["expires_in"], 90)
            self.assertEqual(second.headers["Connection"], "close")
            stats = requests.get(server.url + "/__fake/stats", timeout=TIMEOUT).json()
            self.assertEqual(stats["token_failures_injected"], 1)
            self.assertEqual(stats["closes_announced"], 2)


if __name__ == "__main__":
    if len(sys.argv) != 2 or not os.access(sys.argv[1], os.X_OK):
        sys.stderr.write(__doc__)
        sys.exit(2)
    SERVER = sys.argv.pop(1)
    result = unittest.main(verbosity=2, exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
