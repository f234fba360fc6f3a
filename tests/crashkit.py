"""The zygote shared by the crash tests: relance imported once, then one forked `relance ...`
process per request line, watched, killed at the point asked, reaped, answered in one line.

So that hundreds of real processes fit in seconds, runs are forked from a process that has
imported relance (and warmed it up with a run of its own) instead of started afresh."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

#: watch(pid, ended, kill) -> (exit code, killed?, what was counted when it ended)
Watch = Callable[[int, Callable[[], "int | None"], dict[str, object]], tuple[int, bool, int]]


def serve(warm_up: str, watch: Watch, counted: str) -> None:
    """Warm up on a copy of `warm_up`, then serve request lines from stdin: each is
    {"stdout", "cwd", "argv", "kill", optional "env"}; each answer {"code", "killed", counted}."""
    from relance.cli import app

    with tempfile.TemporaryDirectory() as scratch:
        shutil.copy(warm_up, Path(scratch) / "book.xlsx")
        quiet = os.open(os.devnull, os.O_WRONLY)
        saved = os.dup(1)
        os.dup2(quiet, 1)
        try:
            app(["run", str(Path(scratch) / "book.xlsx"), "--anytime", "--json"], standalone_mode=True)
        except SystemExit:
            pass
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)

    for line in sys.stdin:
        request = json.loads(line)
        out = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        pid = os.fork()
        if pid == 0:  # the child: a relance process of its own
            code = 70
            try:
                os.environ.update(request.get("env") or {})
                os.dup2(out, 1)
                os.dup2(out, 2)
                os.chdir(request["cwd"])
                app(request["argv"], prog_name="relance", standalone_mode=True)
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            finally:
                sys.stdout.flush()
                os._exit(code)
        os.close(out)

        def ended(pid: int = pid) -> int | None:
            done, status = os.waitpid(pid, os.WNOHANG)
            return None if done == 0 else os.waitstatus_to_exitcode(status)

        code, killed, count = watch(pid, ended, request["kill"])
        sys.stdout.write(json.dumps({"code": code, "killed": killed, counted: count}) + "\n")
        sys.stdout.flush()
