"""A small process supervisor for `popreg run`: children, one log stream, restarts with backoff."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# A child that stayed up this long is considered healthy again: its backoff starts over.
_HEALTHY_AFTER_S = 60.0
_MAX_BACKOFF_S = 30.0
_STOP_GRACE_S = 15.0


@dataclass
class Child:
    """One supervised process: its name in the log stream and the argv that starts it."""

    name: str
    argv: Sequence[str]
    env: dict[str, str] | None = None
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff: float = 1.0
    next_start: float = 0.0
    _reader: threading.Thread | None = field(default=None, repr=False)


class Supervisor:
    """Starts children, prefixes their output into one stream, restarts crashed ones with backoff."""

    def __init__(self, children: list[Child], emit: Callable[[str], None] | None = None):
        self.children = children
        self._emit = emit or (lambda line: print(line, flush=True))
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def log(self, name: str, line: str) -> None:
        with self._lock:
            self._emit(f"{time.strftime('%H:%M:%S')} {name:<10} | {line}")

    def _start(self, child: Child) -> None:
        env = {**os.environ, **(child.env or {}), "PYTHONUNBUFFERED": "1"}
        child.proc = subprocess.Popen(
            list(child.argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # Ctrl-C reaches us only; we stop children in order
        )
        child.started_at = time.monotonic()
        child._reader = threading.Thread(target=self._pump, args=(child, child.proc), daemon=True)
        child._reader.start()
        self.log(child.name, f"started (pid {child.proc.pid})")

    def _pump(self, child: Child, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            self.log(child.name, raw.decode("utf-8", "replace").rstrip())

    def _check(self, child: Child) -> None:
        now = time.monotonic()
        if child.proc is None:
            if now >= child.next_start:
                self._start(child)
            return
        code = child.proc.poll()
        if code is None:
            if now - child.started_at > _HEALTHY_AFTER_S:
                child.backoff = 1.0
            return
        if child._reader is not None:
            child._reader.join(timeout=2)
        child.restarts += 1
        self.log(
            child.name,
            f"CRASHED with exit code {code}; restart #{child.restarts} in {child.backoff:.0f}s",
        )
        child.proc = None
        child.next_start = now + child.backoff
        child.backoff = min(child.backoff * 2, _MAX_BACKOFF_S)

    def stop(self, *_: object) -> None:
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def start(self) -> None:
        for child in self.children:
            self._start(child)

    def watch(self) -> None:
        """Restart crashed children until stop(); call from a thread or the main loop."""
        while not self._stopping.wait(0.5):
            for child in self.children:
                self._check(child)

    def run(self, ready: Callable[[], None] | None = None) -> int:
        """Run until SIGINT/SIGTERM (main thread); returns the exit code for the command line."""
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGTERM, self.stop)
        self.start()
        if ready is not None:
            ready()
        self.watch()
        self.shutdown()
        return 0

    def shutdown(self) -> None:
        # Stop in reverse order: the gateway first stops taking input, processors drain last.
        live = [c for c in reversed(self.children) if c.proc is not None and c.proc.poll() is None]
        for child in live:
            self.log(child.name, "stopping")
            child.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        deadline = time.monotonic() + _STOP_GRACE_S
        for child in live:
            assert child.proc is not None
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                self.log(child.name, f"stopped (exit {child.proc.returncode})")
            except subprocess.TimeoutExpired:
                self.log(child.name, "did not stop in time; killed")
                os.killpg(child.proc.pid, signal.SIGKILL)
                child.proc.wait()


def popreg_argv(*args: str) -> list[str]:
    """argv running a popreg subcommand with this interpreter (works without the entry point)."""
    return [sys.executable, "-m", "popreg", *args]
