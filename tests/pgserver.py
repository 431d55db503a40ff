"""A throwaway PostgreSQL server for the tests, started on 127.0.0.1 from the installed binaries.

Fixtures:
- `pg_server` (session): the running `PostgresServer`; skips when PostgreSQL is not installed.
- `pg_url` (session): a URL to one database created for the whole session.
- `pg_db_url` (per test): a URL to a fresh, empty database, dropped after the test.
- `state_url` (per test, parametrised over sqlite and postgresql): where a state test keeps its store.
- `state_store` (per test): a `state.Store` opened (and upgraded) at `state_url`.

PostgreSQL refuses to run as root, so when the tests run as root (in containers and CI) the server
runs as the `postgres` system user, or `nobody` when that user does not exist; the data folder is
owned by that user. Durability is switched off (`--no-sync`, fsync=off): the data is thrown away.
"""
from __future__ import annotations

import atexit
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

import pytest

INSTALL_HINT = "PostgreSQL not installed: apt-get install postgresql"
SUPERUSER = "postgres"


def find_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl: $NEWSWATCH_PG_BINDIR, pg_config, Debian's layout, then PATH."""
    candidates: list[str] = []
    if os.environ.get("NEWSWATCH_PG_BINDIR"):
        candidates.append(os.environ["NEWSWATCH_PG_BINDIR"])
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
            candidates.append(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    # Debian installs the server outside PATH, one folder per major version; prefer the newest.
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_major_version, reverse=True)
    candidates.extend(debian)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).resolve().parent))
    for folder in candidates:
        path = Path(folder)
        if folder and (path / "initdb").is_file() and (path / "pg_ctl").is_file() and (path / "postgres").is_file():
            return path
    return None


def _major_version(folder: str) -> int:
    try:
        return int(Path(folder).parent.name.split(".")[0])
    except ValueError:
        return 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_user() -> pwd.struct_passwd | None:
    """None when not root (the server can run as us); else an unprivileged account to run it as."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and neither a `postgres` nor a `nobody` user exists to run PostgreSQL")


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.user = _server_user()
        # Not under pytest's tmp_path: that folder is private to root and the server user could not enter it;
        # /tmp is, and keeps the socket path under its length limit.
        base = "/tmp" if self.user is not None and os.path.isdir("/tmp") else None
        self.root = Path(tempfile.mkdtemp(prefix="newswatch-pg-", dir=base))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self.running = False
        self._version_num = 0
        self._names = itertools.count(1)
        self._lock = threading.Lock()

    # -- lifecycle ------------------------------------------------------
    def start(self) -> "PostgresServer":
        if self.user is not None:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        os.chmod(self.root, 0o700)
        self._run(
            "initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync",
        )
        # A port can be taken between choosing and binding it; a few tries make that race harmless.
        last_error = ""
        for _attempt in range(5):
            self.port = _free_port()
            options = (
                f"-p {self.port} -c listen_addresses=127.0.0.1 -k '{self.root}' -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB -c max_connections=100"
            )
            proc = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options, "start",
                             check=False)
            if proc.returncode == 0:
                self.running = True
                self._start_watchdog()
                return self
            last_error = proc.stdout + proc.stderr + self._log_tail()
        raise RuntimeError(f"PostgreSQL did not start:\n{last_error}")

    def stop(self) -> None:
        if self.running:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
            self.running = False
        shutil.rmtree(self.root, ignore_errors=True)

    def _start_watchdog(self) -> None:
        """A killed test run (timeout, SIGKILL) skips every cleanup: this stops the server anyway."""
        if not os.path.isdir("/proc"):  # the watchdog tells a live process by /proc/<pid> (Linux)
            return
        pid_file = self.data / "postmaster.pid"
        postmaster = int(pid_file.read_text().split()[0])
        subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(postmaster), str(self.root)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives a signal sent to the test run's process group
        )

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        kwargs = {}
        if self.user is not None:
            kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        env = {**os.environ, "LC_ALL": "C", "HOME": str(self.root)}
        proc = subprocess.run(
            [str(self.bindir / tool), *args], capture_output=True, text=True, env=env, cwd=self.root, timeout=120, **kwargs
        )
        if check and proc.returncode != 0:
            raise RuntimeError(f"{tool} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
        return proc

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    # -- databases ------------------------------------------------------
    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str):
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True) as conn:
            cur = conn.execute(sql)
            return cur.fetchone() if cur.description else None

    def version_num(self) -> int:
        if not self._version_num:
            self._version_num = int(self._admin("SHOW server_version_num")[0])
        return self._version_num

    def create_database(self, prefix: str = "nw") -> str:
        """A new empty database; returns its URL."""
        with self._lock:
            name = f"{prefix}_{next(self._names)}_{uuid.uuid4().hex[:8]}"
        # FILE_COPY (PostgreSQL 15+) skips WAL-logging the template: twice as fast with fsync off.
        strategy = " STRATEGY FILE_COPY" if self.version_num() >= 150000 else ""
        self._admin(f'CREATE DATABASE "{name}"{strategy}')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        # FORCE (PostgreSQL 13+) ends sessions a test left open instead of failing.
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Polls the test process; when it is gone, shuts the server down (SIGQUIT = immediate) and removes its folder.
_WATCHDOG = """
import os, shutil, signal, sys, time
parent, postmaster, root = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
while os.path.exists(f"/proc/{parent}") and os.path.isdir(root):
    time.sleep(1)
if os.path.isdir(root):
    try:
        os.kill(postmaster, signal.SIGQUIT)
    except ProcessLookupError:
        pass
    for _ in range(50):
        if not os.path.exists(f"/proc/{postmaster}"):
            break
        time.sleep(0.1)
    shutil.rmtree(root, ignore_errors=True)
"""

_shared: PostgresServer | None = None
_start_failure = ""
_shared_lock = threading.Lock()


def shared_server() -> PostgresServer:
    """One server per test process, however many fixture definitions ask for it."""
    global _shared, _start_failure
    with _shared_lock:
        if _shared is None:
            bindir = find_bindir()
            if bindir is None:
                pytest.skip(INSTALL_HINT)
            try:
                import psycopg  # noqa: F401
            except ImportError:
                pytest.skip("psycopg not installed: pip install 'newswatch[postgres]'")
            if _start_failure:  # installed but broken: fail every test fast, once is enough to start it
                raise RuntimeError(_start_failure)
            server = PostgresServer(bindir)
            atexit.register(server.stop)  # also when the session dies before its teardown
            try:
                _shared = server.start()
            except Exception as exc:
                server.stop()
                _start_failure = f"the test PostgreSQL server did not start: {exc}"
                raise RuntimeError(_start_failure) from None
        return _shared


def stop_shared_server() -> None:
    global _shared
    with _shared_lock:
        if _shared is not None:
            _shared.stop()
            _shared = None


@pytest.fixture(scope="session")
def pg_server():
    server = shared_server()
    yield server
    stop_shared_server()


@pytest.fixture(scope="session")
def pg_url(pg_server) -> str:
    return pg_server.create_database("session")


@pytest.fixture
def pg_db_url(pg_server):
    url = pg_server.create_database()
    yield url
    pg_server.drop_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def state_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return request.getfixturevalue("pg_db_url")


@pytest.fixture
def state_store(state_url):
    from state import Store

    store = Store.open(state_url)
    yield store
    store.close()
