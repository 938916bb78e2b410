"""Runs Keras programs through ``kerastorch run`` the way ``python -m kerastorch run SCRIPT`` does, in processes
forked from one interpreter that has already imported torch and kerastorch.

Starting an interpreter and importing torch costs about 2.5 s, more than most of the tutorial's programs take
to run. Here one server process (``python tests/seed_runner.py``) pays it once per test worker; for each program
it forks a child, which starts from the state right after ``import kerastorch`` (no Keras object was made, no
torch kernel run: the server does nothing else), so each program sees what a fresh ``kerastorch run`` would.
The child gets the program's own working directory, stdin from /dev/null, stdout and stderr in files, and
exits with ``kerastorch run``'s status, exactly what the tests compared when each program had its own
interpreter.

The tests use ``KerastorchRunner`` through the ``kerastorch_runner`` fixture (tests/conftest.py).
"""
import json
import os
import selectors
import subprocess
import sys
import tempfile
from types import SimpleNamespace

import kerastorch  # noqa: F401 - in the server: imported once, before any fork, and inherited by every child
from kerastorch.__main__ import main
from kerastorch.utils import set_random_seed

# The environment of every program: an 80-column console as Keras's fixtures were recorded with, no warnings in
# stderr, and the CPU whatever accelerator the machine has.
PROGRAM_ENV = {"COLUMNS": "80", "PYTHONWARNINGS": "ignore", "KERASTORCH_DEVICE": "cpu"}


class KerastorchRunner:
    """The test side: starts the server lazily and runs one program per ``run`` call."""

    def __init__(self):
        self._server = None

    def _start(self):
        env = dict(os.environ, **PROGRAM_ENV)
        self._server = subprocess.Popen([sys.executable, os.path.abspath(__file__)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, env=env, start_new_session=True)
        self._expect_line(timeout=120)   # "ready": kerastorch is imported

    def _expect_line(self, timeout):
        with selectors.DefaultSelector() as selector:
            selector.register(self._server.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                self.close()
                raise TimeoutError(f"the kerastorch run server gave no answer within {timeout} s")
        line = self._server.stdout.readline()
        if not line:
            code = self._server.wait()
            self._server = None
            raise RuntimeError(f"the kerastorch run server exited with status {code}")
        return json.loads(line)

    def run(self, script, cwd, args=(), timeout=600, seed=None):
        """Run ``kerastorch run script *args`` in ``cwd``; with ``seed``, Python's, NumPy's and torch's generators
        are seeded first (for a program that draws unseeded numbers that the test's checks depend on).

        Returns:
            An object with ``returncode``, ``stdout`` and ``stderr`` (text), as ``subprocess.run`` gives.
        """
        if self._server is None:
            self._start()
        with tempfile.TemporaryDirectory() as capture:
            request = {"script": str(script), "args": [str(a) for a in args], "cwd": str(cwd), "seed": seed,
                       "stdout": os.path.join(capture, "stdout"), "stderr": os.path.join(capture, "stderr")}
            self._server.stdin.write(json.dumps(request) + "\n")
            self._server.stdin.flush()
            answer = self._expect_line(timeout)
            with open(request["stdout"], encoding="utf-8") as out, open(request["stderr"], encoding="utf-8") as err:
                return SimpleNamespace(returncode=answer["returncode"], stdout=out.read(), stderr=err.read())

    def close(self):
        if self._server is not None:
            try:
                os.killpg(self._server.pid, 9)   # the server and any child still running
            except ProcessLookupError:
                pass
            self._server.wait()
            self._server = None


def _run_child(request):
    """In the forked child: become ``kerastorch run SCRIPT`` with the request's directory and files."""
    os.chdir(request["cwd"])
    for fd, path, mode in ((0, os.devnull, os.O_RDONLY), (1, request["stdout"], os.O_WRONLY | os.O_CREAT),
                           (2, request["stderr"], os.O_WRONLY | os.O_CREAT)):
        os.dup2(os.open(path, mode, 0o644), fd)
    if request["seed"] is not None:
        set_random_seed(request["seed"])
    try:
        code = main(["run", request["script"], *request["args"]])
    except SystemExit as exit_request:   # what the interpreter does with sys.exit(...)
        code = exit_request.code
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


def _serve():
    print("{}", flush=True)   # ready
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            try:
                _run_child(request)
            finally:
                os._exit(70)   # only reached if the runner itself failed
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}), flush=True)


if __name__ == "__main__":
    _serve()   # run_script gives each program the sys.path[0] that `python -m kerastorch run` would
