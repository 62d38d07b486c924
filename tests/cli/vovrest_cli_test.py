#!/usr/bin/python3
"""The vovrest program driven from outside against vovrest-fake-server: every subcommand, every
password source (file, stdin, environment, the prompt through a pty), every exit status, TLS
options, timeouts, submit --file under faults, and no secret on any output.

Usage: vovrest_cli_test.py <path-to-vovrest> <path-to-vovrest-fake-server>
Standard library only.
"""
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import tempfile
import termios
import time
import unittest
import urllib.request

VOVREST = None
SERVER = None
TIMEOUT = 30
PASSWORDS = {"demo": "demo-secret-pw", "other": "other-secret-pw", "ro": "ro-secret-pw"}
JOB_ID = re.compile(r"^\d{9}$")

# Every stdout and stderr seen, for the secrets check at the end.
SEEN = []


class Server:
    """vovrest-fake-server as a context manager; its URL read from the first line."""

    def __init__(self, *args):
        users = []
        for name, password in PASSWORDS.items():
            users += ["--user", "%s:%s%s" % (name, password, ":readonly" if name == "ro" else "")]
        self.args = [SERVER, *users, *args]

    def __enter__(self):
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        ready, _, _ = select.select([self.process.stdout], [], [], TIMEOUT)
        if not ready:
            self.process.kill()
            raise AssertionError("the fake server printed nothing within %d s" % TIMEOUT)
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            self.process.kill()
            raise AssertionError("first line %r" % line)
        self.url = line.split()[-1]
        return self

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(TIMEOUT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.process.stdout.close()
        return False

    def stats(self):
        with urllib.request.urlopen(self.url + "/__fake/stats", timeout=TIMEOUT) as answer:
            return json.load(answer)


def environment(url=None, user="demo", password="env", **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("NC_URL", "VOV_PASSWORD", "USER")}
    if url:
        env["NC_URL"] = url
    if user:
        env["USER"] = user
    if password == "env":
        env["VOV_PASSWORD"] = PASSWORDS.get(user, "")
    env.update(extra)
    return env


def vovrest(*args, url=None, user="demo", password="env", input=None, env=None):
    """Runs vovrest; stdin is /dev/null unless `input` is given (so no prompt ever waits)."""
    result = subprocess.run([VOVREST, *args], input=input, stdin=None if input is not None else subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=TIMEOUT,
                            env=env if env is not None else environment(url, user, password))
    SEEN.append((args, result.stdout, result.stderr))
    return result


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.mkdtemp(prefix="vovrest-cli-test-")
        # Jobs that run until stopped, and jobs that end at once.
        cls.slow = Server("--job-schedule-delay", "1ms", "--job-run-time", "1h").__enter__()
        cls.fast = Server("--job-schedule-delay", "1ms", "--job-run-time", "5ms").__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.slow.__exit__(None, None, None)
        cls.fast.__exit__(None, None, None)

    def assert_exit(self, result, status, stderr_contains=None):
        self.assertEqual(result.returncode, status, "stdout %r stderr %r" % (result.stdout, result.stderr))
        if status != 0:
            lines = result.stderr.splitlines()
            self.assertEqual(len(lines), 1, result.stderr)
            self.assertTrue(lines[0].startswith("vovrest: "), result.stderr)
        if stderr_contains:
            self.assertIn(stderr_contains, result.stderr)

    def submit(self, server, *command, user="demo"):
        result = vovrest("submit", "--", *command, url=server.url, user=user)
        self.assert_exit(result, 0)
        job = result.stdout.strip()
        self.assertRegex(job, JOB_ID)
        return job

    def write(self, name, text, mode=0o600):
        path = os.path.join(self.directory, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    # ---- help and usage (exit 0 and 2) ----

    def test_help_everywhere(self):
        for args in (["--help"], ["-h"], ["token", "--help"], ["get", "--help"], ["query", "--help"],
                     ["submit", "--help"], ["job", "--help"], ["job", "info", "--help"], ["query", "-h"]):
            result = vovrest(*args, url=None, password=None)
            self.assert_exit(result, 0)
            self.assertTrue(result.stdout.startswith("usage: vovrest"), args)
        top = vovrest("--help").stdout
        for word in ("Exit status", "2  usage", "3  authentication", "4  not found", "--password-file",
                     "--password-stdin", "VOV_PASSWORD", "NC_URL", "--cacert", "--insecure", "--timeout",
                     "--connections", "-v"):
            self.assertIn(word, top)

    def test_usage_errors_exit_2(self):
        url = self.fast.url
        for args in ([], ["bogus"], ["--bogus", "token"], ["query", "--format", "xml"], ["job", "info", "abc"],
                     ["job", "bogus", "1"], ["job", "info"], ["get"], ["get", "jobs", "novalue"], ["submit"],
                     ["submit", "--concurrency", "4", "--", "sleep"], ["--timeout", "banana", "token"],
                     ["--connections", "0", "token"], ["token", "extra"],
                     ["--password-file", "x", "--password-stdin", "token"], ["--url", "ftp://x", "token"]):
            self.assert_exit(vovrest(*args, url=url), 2)
        self.assert_exit(vovrest("token", url=None), 2, "NC_URL")
        self.assert_exit(vovrest("--password-stdin", "submit", "--file", "-", url=url, password=None, input="x\n"), 2)

    # ---- token and get ----

    def test_token_is_the_authorization_header_value(self):
        result = vovrest("token", url=self.fast.url)
        self.assert_exit(result, 0)
        header = result.stdout.strip()
        self.assertRegex(header, r"^Bearer:[\w-]+\.[\w-]+\.[\w-]+$")
        self.assertEqual(result.stderr, "")
        request = urllib.request.Request(self.fast.url + "/api/v3/project/1/project", headers={"Authorization": header})
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            self.assertIn("vovrest", answer.read().decode())
        # --url and --user win over the environment.
        env = environment("http://127.0.0.1:1", user="nobody", password=None, VOV_PASSWORD=PASSWORDS["demo"])
        result = vovrest("--url", self.fast.url, "--user", "demo", "token", env=env)
        self.assert_exit(result, 0)

    def test_get_prints_the_body(self):
        result = vovrest("get", "project/1/project", url=self.fast.url)
        self.assert_exit(result, 0)
        self.assertEqual(json.loads(result.stdout)["rows"], [["vovrest"]])
        result = vovrest("get", "/api/v3/project/1/version", url=self.fast.url)
        self.assertEqual(json.loads(result.stdout)["rows"], [["2024.1.0"]])
        result = vovrest("get", "/api/v3/query", "select=idint", "from=jobs", "where=idint<0", "format=csv",
                         url=self.fast.url)
        self.assert_exit(result, 0)
        self.assertEqual(result.stdout, "idint\n")
        self.assert_exit(vovrest("get", "/api/v3/nosuch", url=self.fast.url), 4, "HTTP 404")

    # ---- jobs ----

    def test_submit_and_job_commands(self):
        job = self.submit(self.slow, "sleep", "3600")
        info = vovrest("job", "info", job, url=self.slow.url)
        self.assert_exit(info, 0)
        fields = dict(line.split(None, 1) if len(line.split(None, 1)) == 2 else (line.strip(), "")
                      for line in info.stdout.splitlines())
        self.assertEqual(fields["id"], job)
        self.assertEqual(fields["command"], "sleep 3600")
        self.assertEqual(fields["user"], "demo")

        self.assert_exit(vovrest("job", "suspend", job, url=self.slow.url), 0)
        self.assertIn("SUSPENDED", vovrest("job", "info", job, url=self.slow.url).stdout)
        self.assert_exit(vovrest("job", "resume", str(int(job)), url=self.slow.url), 0)
        self.assert_exit(vovrest("job", "stop", job, url=self.slow.url), 0)
        self.assert_exit(vovrest("job", "stop", job, url=self.slow.url), 0)  # harmless again
        self.assert_exit(vovrest("job", "suspend", job, url=self.slow.url), 1, "HTTP 409")
        wait = vovrest("job", "wait", "--poll", "5ms", job, url=self.slow.url)
        self.assert_exit(wait, 0)
        self.assertEqual(wait.stdout, "FAILED\n")
        self.assert_exit(vovrest("job", "forget", job, url=self.slow.url), 0)
        self.assert_exit(vovrest("job", "info", job, url=self.slow.url), 4, "no such job")
        self.assert_exit(vovrest("job", "forget", job, url=self.slow.url), 4)
        self.assertEqual(vovrest("job", "wait", job, url=self.slow.url).stdout, "forgotten\n")

    def test_submit_options_and_wait_until_valid(self):
        job = vovrest("submit", "--rundir", "/tmp", "--jobname", "named", "--resources", "linux64", "--",
                      "echo", "hello world", url=self.fast.url).stdout.strip()
        self.assertRegex(job, JOB_ID)
        wait = vovrest("job", "wait", "--poll", "5ms", job, url=self.fast.url)
        self.assert_exit(wait, 0)
        self.assertEqual(wait.stdout, "VALID\n")
        info = vovrest("job", "info", job, url=self.fast.url).stdout
        for expected in ("echo 'hello world'", "named", "linux64", "/tmp", "VALID"):
            self.assertIn(expected, info)
        # One word is a whole command line.
        job = self.submit(self.fast, "false && echo never")
        self.assertEqual(vovrest("job", "wait", "--poll", "5ms", job, url=self.fast.url).stdout, "FAILED\n")

    def test_permissions_exit_1(self):
        job = self.submit(self.slow, "sleep 7")
        self.assert_exit(vovrest("job", "stop", job, url=self.slow.url, user="other"), 1, "HTTP 403")
        self.assert_exit(vovrest("submit", "--", "sleep", "1", url=self.slow.url, user="ro"), 1, "READONLY")
        self.assert_exit(vovrest("job", "info", "999999", url=self.slow.url), 4, "no such job")

    # ---- query ----

    def test_query_formats(self):
        for i in range(3):
            vovrest("submit", "--jobname", "q-%d" % i, "--", "sleep %d" % i, url=self.fast.url)
        args = ["query", "--select", "idint,jobname", "--where", "jobname~q-", "--order", "jobname"]
        as_json = vovrest(*args, "--format", "json", url=self.fast.url)
        self.assert_exit(as_json, 0)
        self.assertEqual([row[1] for row in json.loads(as_json.stdout)["rows"]], ["q-0", "q-1", "q-2"])
        as_csv = vovrest(*args, "--format", "csv", "--limit", "2", url=self.fast.url)
        self.assertEqual(as_csv.stdout.splitlines()[0], "idint,jobname")
        self.assertEqual(len(as_csv.stdout.splitlines()), 3)
        as_table = vovrest(*args, url=self.fast.url)  # table is the default
        lines = as_table.stdout.splitlines()
        self.assertRegex(lines[0], r"^idint\s+jobname$")
        self.assertEqual([line.split()[1] for line in lines[1:]], ["q-0", "q-1", "q-2"])
        self.assert_exit(vovrest("query", "--select", "nosuch", url=self.fast.url), 1, "unknown field")
        self.assert_exit(vovrest("query", "--select", "nosuch", "--format", "json", url=self.fast.url), 1)
        self.assert_exit(vovrest("query", "--select", "nosuch", "--format", "csv", url=self.fast.url), 1, "HTTP 400")

    # ---- submit --file ----

    def test_submit_file_answers_line_for_line(self):
        lines = ["sleep file-%d" % i for i in range(40)]
        text = "# a comment\n\n" + "\n".join(lines[:20]) + "\n   \n  # another\n" + "\n".join(lines[20:]) + "\n"
        path = self.write("jobs.txt", text)
        result = vovrest("--connections", "3", "submit", "--file", path, "--concurrency", "8", "--summary",
                         "--jobname", "batch", url=self.fast.url)
        self.assert_exit(result, 0)
        ids = result.stdout.splitlines()
        self.assertEqual(len(ids), 40)
        for job in ids:
            self.assertRegex(job, JOB_ID)
        summary = json.loads(result.stderr.splitlines()[-1])
        self.assertEqual(set(summary), {"created", "reconciled_found", "resubmitted", "failed", "unknown", "seconds",
                                        "jobs_per_s", "token_requests", "replays"})
        self.assertEqual((summary["created"], summary["failed"], summary["unknown"]), (40, 0, 0))
        self.assertEqual(summary["token_requests"], 1)
        # Each printed id is the job of its own line (names carry the line number of the file, then
        # the batch's tag: batch-<line>.vovrest-<batch>-<index>).
        table = vovrest("query", "--select", "id,jobname,command", "--where", "jobname~batch-", "--format", "csv",
                        url=self.fast.url).stdout.splitlines()[1:]
        by_id = {row.split(",")[0]: row.split(",", 2)[1:] for row in table}
        file_lines = text.split("\n")
        for job in ids:
            jobname, command = by_id[job]
            self.assertRegex(jobname, r"^batch-\d+\.vovrest-[0-9a-f]{12}-\d+$")
            self.assertEqual(file_lines[int(jobname.split(".")[0].split("-")[1]) - 1].strip(), command)
        self.assertEqual([by_id[job][1] for job in ids], lines)
        # From standard input too.
        result = vovrest("submit", "--file", "-", url=self.fast.url, input="sleep stdin-1\nsleep stdin-2\n")
        self.assert_exit(result, 0)
        self.assertEqual(len(result.stdout.splitlines()), 2)

    def test_submit_file_refused_jobs_exit_1(self):
        path = self.write("ro.txt", "sleep ro-1\nsleep ro-2\n")
        result = vovrest("submit", "--file", path, url=self.fast.url, user="ro")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stdout.splitlines(), ["error: user ro is READONLY and cannot submit jobs (HTTP 403)"] * 2)
        self.assert_exit(vovrest("submit", "--file", os.path.join(self.directory, "missing"), url=self.fast.url), 1)

    def test_submit_file_under_faults_accounts_for_every_job(self):
        with Server("--drop-before-response-fraction", "0.05", "--fail-fraction", "0.2", "--retry-after", "0s",
                    "--silent-close-fraction", "0.05", "--revoke-every", "20ms", "--seed", "3") as server:
            count = 400
            path = self.write("faults.txt", "".join("sleep fault-%d\n" % i for i in range(count)))
            result = vovrest("submit", "--file", path, "--summary", "--no-reconcile", url=server.url)
            lines = result.stdout.splitlines()
            self.assertEqual(len(lines), count)
            submitted = sum(1 for line in lines if JOB_ID.match(line))
            unknown = lines.count("error: outcome unknown")
            failed = count - submitted - unknown
            for line in lines:
                self.assertTrue(JOB_ID.match(line) or line.startswith("error: "), line)
            summary = json.loads(result.stderr.splitlines()[-1])
            self.assertEqual((summary["created"], summary["failed"], summary["unknown"]), (submitted, failed, unknown))
            self.assertEqual((summary["reconciled_found"], summary["resubmitted"]), (0, 0))
            self.assertEqual(result.returncode, 0 if submitted == count else 1)
            self.assertGreater(unknown, 0)
            stats = server.stats()
            self.assertEqual(stats["duplicate_submissions"], 0)
            self.assertGreaterEqual(stats["jobs_created"], submitted)
            self.assertLessEqual(stats["jobs_created"], submitted + unknown)

    def test_submit_file_creates_every_job_exactly_once_through_faults_and_a_server_restart(self):
        """Faults all along, and the server killed (SIGKILL) half-way and started again on the same
        port with the same --state-file: every line gets the id of its own job, each job exists
        once, nothing is left unknown."""
        count = int(os.environ.get("VOVREST_CLI_EXACTLY_ONCE_JOBS", "20000"))
        state = os.path.join(self.directory, "state.jsonl")
        faults = ["--state-file", state, "--job-schedule-delay", "1h", "--silent-close-fraction", "0.05",
                  "--drop-before-response-fraction", "0.02", "--close-fraction", "0.1", "--revoke-every", "1s",
                  "--fail-first-tokens", "3", "--retry-after", "0s", "--seed", "7"]
        lines = ["sleep once-%d" % i for i in range(count)]
        path = self.write("once.txt", "\n".join(lines) + "\n")
        first = Server(*faults).__enter__()
        port = int(first.url.rsplit(":", 1)[1])
        client = subprocess.Popen([VOVREST, "--connections", "8", "submit", "--file", path, "--concurrency", "64",
                                   "--summary"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=environment(first.url), text=True)
        second = None
        try:
            # Half-way (the server's own count says so), the server dies without a word.
            deadline = time.monotonic() + 120
            while first.stats()["jobs_created"] < count // 2:
                self.assertIsNone(client.poll(), "the batch ended before the restart")
                self.assertLess(time.monotonic(), deadline, "the batch does not advance")
                time.sleep(0.005)
            first.process.kill()
            first.process.wait(TIMEOUT)
            first.process.stdout.close()
            second = Server(*faults, "--listen", "127.0.0.1:%d" % port).__enter__()
            out, err = client.communicate(timeout=300)
        finally:
            if client.poll() is None:
                client.kill()
                client.communicate()
        SEEN.append((["submit", "--file", "exactly once"], out, err))
        try:
            self.assertEqual(client.returncode, 0, err[-2000:])
            ids = out.splitlines()
            self.assertEqual(len(ids), count)
            for job in ids:
                self.assertRegex(job, JOB_ID)
            self.assertEqual(len(set(ids)), count)
            summary = json.loads(err.splitlines()[-1])
            self.assertEqual((summary["created"], summary["failed"], summary["unknown"]), (count, 0, 0))
            self.assertGreater(summary["reconciled_found"], 0)
            print("\n[ measured ] CLI, %d jobs, server killed and restarted: found by query %d, resubmitted %d"
                  % (count, summary["reconciled_found"], summary["resubmitted"]), file=sys.stderr)
            stats = second.stats()  # the new process counts from the state file: both runs
            self.assertEqual(stats["jobs_created"], count)
            self.assertEqual(stats["duplicate_submissions"], 0)
            table = vovrest("query", "--select", "id,command", "--where", "jobname~vovrest-", "--format", "csv",
                            url=second.url).stdout.splitlines()[1:]
            command_of = dict(row.split(",", 1) for row in table)
            self.assertEqual(len(command_of), count)
            self.assertEqual([command_of[job] for job in ids], lines)
        finally:
            second.__exit__(None, None, None)

    def test_submit_file_reconcile_options(self):
        path = self.write("tagged.txt", "sleep tagged-1\nsleep tagged-2\n")
        result = vovrest("submit", "--file", path, "--tag", "night_ly", url=self.fast.url)
        self.assert_exit(result, 0)
        table = vovrest("query", "--select", "id,jobname", "--where", "jobname~night_ly-", "--format", "csv",
                        url=self.fast.url).stdout.splitlines()[1:]
        self.assertEqual(sorted(row.split(",")[0] for row in table), sorted(result.stdout.split()))
        for row in table:
            self.assertRegex(row.split(",")[1], r"^night_ly-[0-9a-f]{12}-[01]$")
        result = vovrest("submit", "--file", path, "--no-reconcile", "--jobname", "plain", url=self.fast.url)
        self.assert_exit(result, 0)
        table = vovrest("query", "--select", "jobname", "--where", "jobname~plain-", "--format", "csv-noheader",
                        url=self.fast.url).stdout.split()
        self.assertEqual(sorted(table), ["plain-1", "plain-2"])
        for bad in (["--tag", "a.b"], ["--tag", ""], ["--tag", "x" * 33]):
            self.assert_exit(vovrest("submit", "--file", path, *bad, url=self.fast.url), 2)
        self.assert_exit(vovrest("submit", "--no-reconcile", "--", "sleep", "1", url=self.fast.url), 2)

    def test_progress_bar_on_a_terminal(self):
        path = self.write("bar.txt", "".join("sleep bar-%d\n" % i for i in range(50)))
        master, slave = pty.openpty()
        process = subprocess.Popen([VOVREST, "submit", "--file", path], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=slave, env=environment(self.fast.url), text=True)
        os.close(slave)
        terminal = read_all(master)
        out, _ = process.communicate(timeout=TIMEOUT)
        self.assertEqual(process.returncode, 0)
        self.assertEqual(len(out.splitlines()), 50)
        self.assertIn("50/50", terminal)
        self.assertIn("jobs/s", terminal)
        self.assertIn("ETA", terminal)
        SEEN.append((["progress"], out, terminal))
        # Not a terminal: no bar.
        self.assertEqual(vovrest("submit", "--file", path, url=self.fast.url).stderr, "")

    # ---- password sources and exit 3 ----

    def test_password_sources(self):
        url = self.fast.url
        good = self.write("good-password", PASSWORDS["demo"] + "\n", 0o600)
        loose = self.write("loose-password", PASSWORDS["demo"] + "\n", 0o644)
        self.assert_exit(vovrest("--password-file", good, "token", url=url, password=None), 0)
        self.assert_exit(vovrest("--password-file", loose, "token", url=url, password=None), 3, "chmod 600")
        self.assert_exit(vovrest("--password-file", good + ".missing", "token", url=url, password=None), 3)
        self.assert_exit(vovrest("--password-stdin", "token", url=url, password=None,
                                 input=PASSWORDS["demo"] + "\n"), 0)
        self.assert_exit(vovrest("--password-stdin", "token", url=url, password=None, input=""), 3)
        self.assert_exit(vovrest("token", url=url), 0)  # VOV_PASSWORD
        self.assert_exit(vovrest("token", url=url, password=None), 3, "no password")  # stdin not a terminal
        self.assert_exit(vovrest("token", url=url, env=environment(url, VOV_PASSWORD="wrong", password=None)), 3,
                         "invalid username or password")
        self.assert_exit(vovrest("--user", "nobody", "token", url=url), 3)

    def test_password_prompt_on_a_terminal(self):
        master, slave = pty.openpty()
        process = subprocess.Popen([VOVREST, "token"], stdin=slave, stdout=subprocess.PIPE, stderr=slave,
                                   env=environment(self.fast.url, password=None), text=True)
        try:
            terminal = read_until(master, "Password for demo: ")
            # Answer only once echo is off (the prompt turns it off with TCSAFLUSH, which would
            # discard an answer typed earlier).
            deadline = time.monotonic() + TIMEOUT
            while termios.tcgetattr(slave)[3] & termios.ECHO and time.monotonic() < deadline:
                select.select([], [], [], 0.005)
            os.write(master, (PASSWORDS["demo"] + "\n").encode())
            os.close(slave)
            slave = None
            terminal += read_all(master)
            out, _ = process.communicate(timeout=TIMEOUT)
        finally:
            if slave is not None:
                os.close(slave)
            if process.poll() is None:
                process.kill()
        self.assertEqual(process.returncode, 0, terminal)
        self.assertTrue(out.startswith("Bearer:"))
        self.assertNotIn(PASSWORDS["demo"], terminal)  # not echoed
        SEEN.append((["prompt"], "", terminal))

    # ---- TLS, timeout, verbose ----

    def test_tls_options(self):
        certificate = os.path.join(self.directory, "server.pem")
        with Server("--tls", "--write-cert", certificate) as server:
            self.assert_exit(vovrest("--cacert", certificate, "token", url=server.url), 0)
            self.assertEqual(vovrest("token", url=server.url).returncode, 1)  # not trusted
            self.assert_exit(vovrest("--insecure", "token", url=server.url), 0)

    def test_timeout(self):
        with Server("--never-respond") as server:
            self.assert_exit(vovrest("--timeout", "300ms", "token", url=server.url), 1, "timeout")

    def test_verbose_prints_events_without_secrets(self):
        result = vovrest("-v", "get", "project/1/project", url=self.fast.url)
        self.assert_exit(result, 0)
        self.assertIn("vovrest: event renewal_succeeded", result.stderr)
        self.assertIn("connection_opened", result.stderr)


def read_until(fd, text):
    data = ""
    deadline = time.monotonic() + TIMEOUT
    while text not in data:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError("never saw %r, got %r" % (text, data))
        data += os.read(fd, 4096).decode(errors="replace")
    return data


def read_all(fd):
    """Everything the pty shows until its last writer closes it."""
    data = ""
    deadline = time.monotonic() + TIMEOUT
    while True:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError("the pty stayed open, got %r" % data)
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: every writer is gone
            break
        if not chunk:
            break
        data += chunk.decode(errors="replace")
    os.close(fd)
    return data


class SecretsTest(unittest.TestCase):
    """Runs after CliTest (the suite is built in that order) and checks every output it kept."""

    def test_no_password_anywhere_and_tokens_only_from_token(self):
        self.assertGreater(len(SEEN), 20)
        token_pattern = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")
        for args, out, err in SEEN:
            for password in PASSWORDS.values():
                self.assertNotIn(password, out, args)
                self.assertNotIn(password, err, args)
            self.assertIsNone(token_pattern.search(err), args)
            if "token" not in args:
                self.assertIsNone(token_pattern.search(out), args)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: vovrest_cli_test.py <vovrest> <vovrest-fake-server>")
    VOVREST, SERVER = sys.argv[1], sys.argv[2]
    del sys.argv[1:3]
    suite = unittest.TestSuite()
    loader = unittest.TestLoader()
    suite.addTests(loader.loadTestsFromTestCase(CliTest))
    suite.addTests(loader.loadTestsFromTestCase(SecretsTest))  # after CliTest: it reads SEEN
    sys.exit(0 if unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful() else 1)
