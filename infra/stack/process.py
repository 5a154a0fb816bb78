"""Process helpers of the local stack: pid files, liveness, ports, detached start and stop."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path


class StackError(RuntimeError):
    """A stack step failed; the message names the cause and the fix."""


@dataclass(frozen=True)
class PidInfo:
    pid: int
    marker: str  # a string that must appear in /proc/<pid>/cmdline (guards against pid reuse)
    started_at: float


def write_pid(path: Path, pid: int, marker: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": pid, "marker": marker, "started_at": time.time()}))


def read_pid(path: Path) -> PidInfo | None:
    try:
        data = json.loads(path.read_text())
        return PidInfo(int(data["pid"]), str(data["marker"]), float(data["started_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _reap(pid: int) -> None:
    # A child of this very process (tests start and stop the stack in-process) stays a zombie
    # until waited for, and a zombie still answers kill(pid, 0).
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def is_alive(pid: int, marker: str | None = None) -> bool:
    _reap(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    proc = Path(f"/proc/{pid}")
    if proc.exists():
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if state in ("Z", "X"):
                return False
            if marker is not None:
                return marker in (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return False
    return True


def running_pid(path: Path) -> int | None:
    """The pid recorded in `path` if that process still runs (and is the one we started)."""
    info = read_pid(path)
    if info is None:
        return None
    return info.pid if is_alive(info.pid, info.marker) else None


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.3) -> bool:
    """True when something accepts TCP connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        return s.connect_ex((host, port)) == 0


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when we could bind host:port now (nobody listens there)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def require_free_port(port: int, what: str, env_var: str) -> None:
    if not port_free(port):
        raise StackError(
            f"port {port} (for {what}) is already in use by another process. "
            f"Fix: stop that process (see `ss -ltnp 'sport = :{port}'`) or choose another port "
            f"with {env_var}=<port>."
        )


def spawn_detached(cmd: Sequence[str], log_path: Path, cwd: Path | None = None) -> int:
    """Start `cmd` in its own session (it outlives this CLI), output appended to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            list(cmd),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
        )
    return proc.pid


def stop_pid(pid: int, timeout: float = 30.0) -> bool:
    """SIGTERM, wait up to `timeout`, then SIGKILL. True if the process is gone."""
    if not is_alive(pid):
        return True
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return True
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    for _ in range(50):
        if not is_alive(pid):
            return True
        time.sleep(0.1)
    return False


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def stack_lock(home: Path) -> Iterator[None]:
    """Serialises `up`/`down` of one home: several helpers and test sessions call `up` at once."""
    home.mkdir(parents=True, exist_ok=True)
    with open(home / "stack.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
