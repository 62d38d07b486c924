#!/usr/bin/python3
"""A third-party client against vovrest-fake-server: Python requests used the way Altair's
getToken.py helper uses it (reference/jwt-token-allocation.txt).

Usage: helper_style_test.py <path-to-vovrest-fake-server>
"""
import base64
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
import unittest

import requests

SERVER = None
USER, PASSWORD = "alice", "w0nder land:&="
TIMEOUT = 10  # seconds, for every request and every wait on the server process


def getJWT(url, username, password):
    """The helper's function, unchanged in substance: any status > 300 is a failure whose JSON
    carries 'error'; the header value is token_type + ':' + access_token."""
    scheme = url.split(":")[0]
    hostport = url.split("/")[2]
    baseUrl = "{0}://{1}".format(scheme, hostport)
    tokenUrl = baseUrl + "/api/v3/token"
    myauth = {'username': username, 'password': password}
    r = requests.post(tokenUrl, data=myauth, timeout=TIMEOUT)
    if r.status_code > 300:
        return r.status_code, r.json(), None
    token = r.json()
    return r.status_code, token, token['token_type'] + ":" + token['access_token']


def jwt_payload(access_token):
    middle = access_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(middle + "=" * (-len(middle) % 4)))


def wait_for_wall_clock(deadline):
    """Token expiry is defined by the wall clock, so this waits for the clock itself (bounded:
    callers pass a deadline at most a second or two away). Nothing else in these tests waits on
    time; everything else waits on the server's answers."""
    assert deadline - time.time() < 3, "refusing a long wait"
    while time.time() < deadline:
        threading.Event().wait(deadline - time.time())


def read_first_line(process):
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    if not selector.select(TIMEOUT):
        raise AssertionError("the server printed nothing within %d s" % TIMEOUT)
    return process.stdout.readline()


class HelperStyleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.process = subprocess.Popen(
            [SERVER, "--user", USER + ":" + PASSWORD + ":user", "--token-lifetime", "1s"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = read_first_line(cls.process)
        if not line.startswith("listening on http://127.0.0.1:"):
            cls.process.kill()
            raise AssertionError("unexpected first line: %r" % line)
        cls.base = line.split()[-1]

    @classmethod
    def tearDownClass(cls):
        if cls.process.poll() is None:
            cls.process.kill()
            cls.process.wait(TIMEOUT)
        cls.process.stdout.close()
        cls.process.stderr.close()

    def fresh_token(self):
        """A token with most of its one second left: JWT times are whole seconds, so a token
        issued at x.9 s is dead 0.1 s later."""
        for _ in range(3):
            status, body, jwt = getJWT(self.base + "/project", USER, PASSWORD)
            self.assertEqual(status, 200, body)
            payload = jwt_payload(body["access_token"])
            if payload["exp"] - time.time() >= 0.5:
                return body, payload, jwt
            wait_for_wall_clock(payload["exp"])
        self.fail("no fresh token in three tries")

    def test_1_token_then_get_with_the_documented_header(self):
        body, payload, jwt = self.fresh_token()
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(payload["sub"], USER)
        self.assertEqual(payload["exp"] - payload["iat"], 1)
        self.assertLessEqual(abs(payload["iat"] - time.time()), 5)

        r = requests.get(self.base + "/api/v3/project/1/project",
                         headers={"Authorization": jwt}, timeout=TIMEOUT)
        self.assertEqual(r.status_code, 200, r.text)
        table = r.json()
        self.assertEqual(table["columns"][0]["field"], "PROJECT")
        self.assertEqual(table["errormsg"], "")

    def test_2_wrong_password(self):
        status, body, jwt = getJWT(self.base, USER, "not the password")
        self.assertGreater(status, 300)
        self.assertIn("error", body)
        self.assertIsNone(jwt)
        self.assertNotIn("not the password", json.dumps(body))

    def test_3_expired_token(self):
        _, payload, jwt = self.fresh_token()
        wait_for_wall_clock(payload["exp"])
        r = requests.get(self.base + "/api/v3/project/1/version",
                         headers={"Authorization": jwt}, timeout=TIMEOUT)
        self.assertEqual(r.status_code, 401, r.text)
        self.assertIn("expired", r.json()["error"])

        # The cure is the helper's: ask again with the password.
        _, _, renewed = self.fresh_token()
        r = requests.get(self.base + "/api/v3/project/1/version",
                         headers={"Authorization": renewed}, timeout=TIMEOUT)
        self.assertEqual(r.status_code, 200, r.text)

    def test_4_stats_count_what_happened(self):
        stats = requests.get(self.base + "/__fake/stats", timeout=TIMEOUT).json()
        self.assertGreaterEqual(stats["tokens_issued"], 3)
        self.assertGreaterEqual(stats["rejected_credentials"], 1)
        self.assertGreaterEqual(stats["unauthorized_by_reason"].get("expired", 0), 1)

    def test_9_sigterm_stops_cleanly(self):
        self.process.send_signal(signal.SIGTERM)
        self.assertEqual(self.process.wait(TIMEOUT), 0)
        output = self.process.stdout.read() + self.process.stderr.read()
        self.assertNotIn(PASSWORD, output)
        self.assertIn("stopped by signal", output)


if __name__ == "__main__":
    if len(sys.argv) != 2 or not os.access(sys.argv[1], os.X_OK):
        sys.stderr.write(__doc__)
        sys.exit(2)
    SERVER = sys.argv.pop(1)
    result = unittest.main(verbosity=2, exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
