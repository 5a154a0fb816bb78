"""The local PostgreSQL cluster: the machine's initdb/pg_ctl on a project-local data directory."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from infra.settings import Settings
from infra.stack.process import StackError, is_alive, port_free, require_free_port, tail

MIN_MAJOR = 15
# The `postgres` system user runs the server when we are root: initdb and pg_ctl refuse root.
PG_SYSTEM_USER = "postgres"

NO_PG = (
    "PostgreSQL {min}+ server binaries (initdb, pg_ctl) not found on PATH nor in "
    "/usr/lib/postgresql/*/bin. Fix: install them (Debian/Ubuntu: `apt-get install postgresql-15`; "
    "macOS: `brew install postgresql@15`) or put their bin directory on PATH."
)


@dataclass(frozen=True)
class PgPaths:
    data: Path
    log: Path

    @classmethod
    def of(cls, settings: Settings) -> PgPaths:
        return cls(data=settings.home_dir / "pg", log=settings.home_dir / "logs" / "postgres.log")


def _major(bindir: Path) -> int | None:
    try:
        out = subprocess.run([str(bindir / "pg_ctl"), "--version"], capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return None
    m = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
    return int(m.group(1)) if m else None


def find_bindir() -> tuple[Path, int]:
    """The bin directory holding initdb and pg_ctl (PATH first, then Debian's layout)."""
    cands: list[Path] = []
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        cands.append(Path(pg_ctl).resolve().parent)
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: -int(p.parent.name) if p.parent.name.isdigit() else 0
    )
    cands += debian + [Path("/usr/local/pgsql/bin")]
    for d in cands:
        if (d / "initdb").exists() and (d / "pg_ctl").exists():
            major = _major(d)
            if major is not None and major >= MIN_MAJOR:
                return d, major
    raise StackError(NO_PG.format(min=MIN_MAJOR))


def _as_pg_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    if shutil.which("runuser") is None:
        raise StackError("running as root but `runuser` is missing; run `popreg stack up` as a normal user")
    return ["runuser", "-u", PG_SYSTEM_USER, "--", *cmd]


def _pg_uid_gid() -> tuple[int, int]:
    import pwd

    try:
        pw = pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        raise StackError(
            "running as root, and PostgreSQL refuses to run as root, but there is no `postgres` "
            "system user to run it. Fix: run `popreg stack up` as a normal user, or create the user "
            "(`useradd --system postgres`)."
        ) from None
    return pw.pw_uid, pw.pw_gid


def _make_reachable(path: Path, echo: Callable[[str], None]) -> None:
    """As root: the postgres user must traverse every parent of the data directory."""
    for parent in reversed(path.parents):
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            echo(f"postgres: allowing other users to traverse {parent} (chmod o+x) so the postgres user reaches {path}")
            parent.chmod(mode | stat.S_IXOTH)


def _run(cmd: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_as_pg_user(cmd), capture_output=True, text=True, timeout=timeout)


def check_data_dir(paths: PgPaths, major: int) -> bool:
    """True when initialised, False when absent/empty; StackError when damaged or mismatched."""
    data = paths.data
    if not data.exists() or not any(data.iterdir()):
        return False
    fix = f"Fix: move it away (`mv {data} {data}.broken`; the database in it is lost) and run `popreg stack up` again."
    version_file = data / "PG_VERSION"
    if not version_file.exists() or not (data / "global").is_dir():
        raise StackError(
            f"PostgreSQL data directory {data} is not empty but is not a valid cluster (no PG_VERSION). {fix}"
        )
    made_by = version_file.read_text().strip()
    if made_by != str(major):
        raise StackError(
            f"PostgreSQL data directory {data} was made by PostgreSQL {made_by} but the binaries found are "
            f"PostgreSQL {major}. Fix: put PostgreSQL {made_by}'s bin directory first on PATH, or {fix[5:]}"
        )
    return True


def initdb(settings: Settings, bindir: Path, paths: PgPaths, echo: Callable[[str], None]) -> None:
    data = paths.data
    data.mkdir(parents=True, exist_ok=True)
    data.chmod(0o700)
    if os.geteuid() == 0:
        uid, gid = _pg_uid_gid()
        os.chown(data, uid, gid)
        _make_reachable(data, echo)
    echo(f"postgres: initialising cluster in {data}")
    # trust on loopback only: a development cluster bound to 127.0.0.1 (listen_addresses below).
    res = _run(
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            settings.pg_user,
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ]
    )
    if res.returncode != 0:
        shutil.rmtree(data, ignore_errors=True)
        raise StackError(f"initdb failed (exit {res.returncode}):\n{res.stderr.strip() or res.stdout.strip()}")
    with open(data / "postgresql.conf", "a") as conf:
        conf.write(
            "\n# popreg local stack\n"
            "listen_addresses = '127.0.0.1'\n"
            "unix_socket_directories = ''  # TCP only: socket paths under deep homes exceed 107 bytes\n"
            "max_connections = 300  # several test sessions with their own pools run at once\n"
            "shared_buffers = 256MB\n"
            "log_min_messages = warning\n"
        )


def postmaster_pid(paths: PgPaths) -> int | None:
    try:
        pid = int((paths.data / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if is_alive(pid) else None


def start(settings: Settings, echo: Callable[[str], None]) -> int:
    """initdb once, then start the server on settings.pg_port; returns the postmaster pid."""
    paths = PgPaths.of(settings)
    bindir, major = find_bindir()
    if not check_data_dir(paths, major):
        initdb(settings, bindir, paths, echo)
    require_free_port(settings.pg_port, "PostgreSQL", "POPREG_PG_PORT")
    paths.log.parent.mkdir(parents=True, exist_ok=True)
    paths.log.touch()
    if os.geteuid() == 0:
        uid, gid = _pg_uid_gid()
        os.chown(paths.log, uid, gid)
        _make_reachable(paths.data, echo)
    echo(f"postgres: starting PostgreSQL {major} on 127.0.0.1:{settings.pg_port} (log {paths.log})")
    res = _run(
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(paths.data),
            "-l",
            str(paths.log),
            "-o",
            f"-p {settings.pg_port}",
            "-w",
            "-t",
            "60",
            "start",
        ]
    )
    pid = postmaster_pid(paths)
    if res.returncode != 0 or pid is None:
        if pid is not None:
            _run([str(bindir / "pg_ctl"), "-D", str(paths.data), "-m", "immediate", "-w", "stop"])
        raise StackError(
            f"PostgreSQL did not start (pg_ctl exit {res.returncode}): {res.stderr.strip()}\n"
            f"see {paths.log}:\n{tail(paths.log, 15)}\n"
            f"If the log shows a damaged data directory, move {paths.data} away and run `popreg stack up` again."
        )
    return pid


def stop(settings: Settings) -> int | None:
    paths = PgPaths.of(settings)
    pid = postmaster_pid(paths)
    if pid is None:
        return None
    bindir, _ = find_bindir()
    res = _run([str(bindir / "pg_ctl"), "-D", str(paths.data), "-m", "fast", "-w", "-t", "60", "stop"])
    if res.returncode != 0 and postmaster_pid(paths) is not None:
        raise StackError(f"PostgreSQL (pid {pid}) did not stop: {res.stderr.strip()}")
    return pid


def info(settings: Settings) -> dict[str, object]:
    paths = PgPaths.of(settings)
    pid = postmaster_pid(paths)
    try:
        bindir, major = find_bindir()
        binaries: object = f"{bindir} (PostgreSQL {major})"
    except StackError:
        binaries = None
    version_file = paths.data / "PG_VERSION"
    return {
        "pid": pid,
        "running": pid is not None,
        "port": settings.pg_port,
        "port_busy": not port_free(settings.pg_port),
        "dsn": settings.dsn,
        "data_version": version_file.read_text().strip() if version_file.exists() else None,
        "binaries": binaries,
        "data_dir": str(paths.data),
        "log": str(paths.log),
    }
