#!/usr/bin/python3
"""A fleet of vovrest processes started at once shares one token through the token cache: 200
`vovrest token` / `vovrest get` processes make 1 token request; once that token has expired the
next wave makes 1 more; with the cache off, 200.

Usage: token_fleet_test.py <path-to-vovrest> <path-to-vovrest-fake-server>
Standard library only.
"""
import base64
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

VOVREST = None
SERVER = None
FLEET = 200
LIFETIME_S = 12  # the cached token is used until its soft window: the last quarter, 3 s
TIMEOUT = 120


class Server:
    def __init__(self, *args):
        self.args = [SERVER, "--user", "fleet:fleet-secret-pw", "--threads", "2", *args]

    def __enter__(self):
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        ready, _, _ = select.select([self.process.stdout], [], [], TIMEOUT)
        if not ready:
            self.process.kill()
            raise AssertionError("the fake server printed nothing")
        self.url = self.process.stdout.readline().split()[-1]
        return self

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(TIMEOUT)
        self.process.stdout.close()
        return False

    def token_requests(self):
        with urllib.request.urlopen(self.url + "/__fake/stats", timeout=TIMEOUT) as answer:
            return json.load(answer)["token_requests"]


def jwt_exp(header):
    payload = header.split(":", 1)[1].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"]


class TokenFleetTest(unittest.TestCase):
    def wave(self, server, env, *extra):
        """FLEET processes started at once, half `token`, half `get`; their tokens."""
        processes = []
        for i in range(FLEET):
            command = ["token"] if i % 2 == 0 else ["get", "project/1/project"]
            processes.append(subprocess.Popen([VOVREST, *extra, *command], stdin=subprocess.DEVNULL,
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True))
        deadline = time.monotonic() + TIMEOUT
        tokens = set()
        for i, process in enumerate(processes):
            out, err = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
            self.assertEqual(process.returncode, 0, err)
            self.assertNotIn("fleet-secret-pw", out + err)
            if i % 2 == 0:
                tokens.add(out.strip())
            else:
                self.assertIn("vovrest", out)
        return tokens

    def test_one_token_request_per_wave(self):
        with tempfile.TemporaryDirectory() as runtime, Server("--token-lifetime", "%ds" % LIFETIME_S) as server:
            os.chmod(runtime, 0o700)
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": runtime, "XDG_RUNTIME_DIR": runtime,
                   "XDG_CONFIG_HOME": runtime, "NC_URL": server.url, "USER": "fleet", "VOV_PASSWORD": "fleet-secret-pw"}

            first = self.wave(server, env)
            self.assertEqual(server.token_requests(), 1)
            self.assertEqual(len(first), 1)

            # The next wave starts once that token has expired: one more token request.
            expiry = jwt_exp(next(iter(first)))
            while time.time() <= expiry:
                select.select([], [], [], min(1.0, max(0.01, expiry - time.time() + 0.05)))
            second = self.wave(server, env)
            self.assertEqual(server.token_requests(), 2)
            self.assertEqual(len(second), 1)
            self.assertNotEqual(second, first)

            # The cache off: every process asks.
            self.wave(server, env, "--token-cache", "off")
            self.assertEqual(server.token_requests(), 2 + FLEET)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: token_fleet_test.py <vovrest> <vovrest-fake-server>")
    VOVREST, SERVER = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    del sys.argv[1:3]
    result = unittest.main(verbosity=2, exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
