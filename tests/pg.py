"""A throw-away PostgreSQL server for the test session.

`PostgresServer.start()` runs `initdb` into a temporary directory and `pg_ctl start`
on a free loopback port; `stop()` stops it (`pg_ctl stop -m immediate`) and removes
the directory. PostgreSQL refuses to run as root, so under root the server runs as an
unprivileged OS user (`postgres` if it exists, else `nobody`, else one made with
`useradd`), which owns the temporary directory; the unix socket lives there too.
Durability is switched off (fsync, synchronous_commit, full_page_writes): the data is
thrown away at the end anyway. The directory goes to /dev/shm when it has room (a
database per test then costs milliseconds); a server left by a killed session is
stopped and removed by the next one.

In tests, use the session fixture `pg_server` (tests/conftest.py), which starts the
server the first time a test asks for it and skips that test, with the reason, when
the PostgreSQL binaries are missing:

    def test_something(pg_server):
        url = pg_server.create_database("my_test")   # an EMPTY database, no tables
        engine = make_engine(url)                     # postgresql+psycopg://...
        ...
        engine.dispose()
        pg_server.drop_database("my_test")            # optional; gone at session end

`pg_server.unique_name("prefix")` gives a name no other test of the session used.

`create_database(name, template=...)` copies another database instead (the seeded
fixtures use it: init_db runs once into a template, each test gets a copy). The
superuser is `postgres` with a random password (TCP uses scram-sha-256; `url()` puts
the password in the URL); `url(database, user=..., password=...)` builds other URLs.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

BINARIES = ("initdb", "pg_ctl", "postgres")
SEARCH_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin")
SUPERUSER = "postgres"
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "64MB",
    "log_min_messages": "warning",
}
OS_USERS = ("postgres", "nobody")
CREATED_OS_USER = "tracker-pg"
NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
PREFIX = "tracker-pg-"
OWNER_FILE = "session.pid"  # the test session's process, to recognise orphans
RAM_DIR = "/dev/shm"
RAM_DIR_MIN_FREE = 1 << 30


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries, or the server would not start; the message says why."""


def find_bin_dir() -> Path:
    """The folder holding initdb, pg_ctl and postgres (PATH first, then Debian's)."""
    on_path = shutil.which("pg_ctl")
    candidates = [Path(on_path).resolve().parent] if on_path else []
    candidates += [Path(d) for d in SEARCH_DIRS]
    for folder in candidates:
        if all((folder / b).is_file() for b in BINARIES):
            return folder
    raise PostgresUnavailable(
        "PostgreSQL binaries (initdb, pg_ctl, postgres) are neither on PATH nor in "
        f"{' or '.join(SEARCH_DIRS)}; install PostgreSQL 15 (Debian: postgresql-15) "
        "to run the PostgreSQL half of the tests."
    )


def scratch_dir() -> str | None:
    """Where the server's directory goes: /dev/shm (memory) when it has room, since
    creating a database per test costs milliseconds there and about a second on a
    disk; else the default temporary folder."""
    try:
        free = shutil.disk_usage(RAM_DIR)
    except OSError:
        return None
    return RAM_DIR if free.free >= RAM_DIR_MIN_FREE and os.access(RAM_DIR, os.W_OK) else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_account() -> pwd.struct_passwd | None:
    """The OS user the server runs as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in (*OS_USERS, CREATED_OS_USER):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    subprocess.run(
        [
            "useradd",
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            CREATED_OS_USER,
        ],
        check=True,
        capture_output=True,
    )
    return pwd.getpwnam(CREATED_OS_USER)


@dataclass
class PostgresServer:
    """One running server; see the module docstring."""

    bin_dir: Path
    root: Path  # temporary directory: data/, the socket, the log
    port: int
    password: str
    account: pwd.struct_passwd | None
    host: str = "127.0.0.1"
    _admin: psycopg.Connection | None = field(default=None, repr=False)
    _names: int = field(default=0, repr=False)

    # --- life cycle ---------------------------------------------------------------

    @classmethod
    def start(cls) -> PostgresServer:
        bin_dir = find_bin_dir()
        account = server_account()
        base = scratch_dir()
        reap_orphans(Path(base or tempfile.gettempdir()), bin_dir, account)
        root = Path(tempfile.mkdtemp(prefix=PREFIX, dir=base))
        (root / OWNER_FILE).write_text(str(os.getpid()))
        server = cls(bin_dir, root, free_port(), secrets.token_hex(16), account)
        try:
            server._initdb()
            for attempt in range(3):
                try:
                    server._pg_ctl_start()
                    break
                except PostgresUnavailable as exc:
                    if "already in use" not in str(exc) or attempt == 2:
                        raise
                    server.port = free_port()  # another process took the port meanwhile
        except BaseException:
            server.stop()
            raise
        return server

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def _run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL program as the server's OS user; raise with its output."""
        command = [str(self.bin_dir / str(args[0])), *map(str, args[1:])]
        as_user = {}
        if self.account is not None:
            as_user = {
                "user": self.account.pw_uid,
                "group": self.account.pw_gid,
                "extra_groups": [],
            }
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C"}
        result = subprocess.run(
            command,
            cwd=self.root,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            **as_user,
        )
        if result.returncode != 0:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise PostgresUnavailable(
                f"{' '.join(command)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}{log[-3000:]}"
            )
        return result

    def _initdb(self) -> None:
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.account is not None:
            for path in (self.root, pwfile):
                os.chown(path, self.account.pw_uid, self.account.pw_gid)
        self.root.chmod(0o700)
        self._run(
            "initdb",
            "--pgdata",
            self.data_dir,
            "--username",
            SUPERUSER,
            "--pwfile",
            pwfile,
            "--auth-local",
            "trust",
            "--auth-host",
            "scram-sha-256",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
        )
        pwfile.unlink()

    def _pg_ctl_start(self) -> None:
        options = " ".join(
            [f"-p {self.port}", f"-k {self.root}"]
            + [f"-c {key}={value}" for key, value in SERVER_SETTINGS.items()]
        )
        self._run(
            "pg_ctl", "start", "--pgdata", self.data_dir, "--log", self.log_file,
            "--wait", "--timeout", "60", "--options", options,
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server at once and remove its directory; safe to call twice."""
        if self._admin is not None:
            with contextlib.suppress(Exception):
                self._admin.close()
            self._admin = None
        if (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(PostgresUnavailable, subprocess.TimeoutExpired):
                self._run("pg_ctl", "stop", "--pgdata", self.data_dir, "--mode", "immediate", "-w")
        shutil.rmtree(self.root, ignore_errors=True)

    # --- databases ----------------------------------------------------------------

    def url(
        self, database: str = "postgres", *, user: str = SUPERUSER, password: str | None = None
    ) -> str:
        """A SQLAlchemy URL (psycopg 3 driver) for `database` on this server."""
        password = self.password if password is None and user == SUPERUSER else password
        credentials = f"{user}:{password}" if password else user
        return f"postgresql+psycopg://{credentials}@{self.host}:{self.port}/{database}"

    @property
    def admin(self) -> psycopg.Connection:
        """An autocommit superuser connection to the `postgres` database."""
        if self._admin is None or self._admin.closed:
            self._admin = psycopg.connect(
                host=self.host,
                port=self.port,
                user=SUPERUSER,
                password=self.password,
                dbname="postgres",
                autocommit=True,
            )
        return self._admin

    def execute(self, statement: str | sql.Composable, *params) -> None:
        self.admin.execute(statement, params or None)

    def unique_name(self, prefix: str = "test") -> str:
        """A database name no one has used on this server yet: `<prefix>_<n>`."""
        self._names += 1
        return f"{check_name(prefix)}_{self._names}"

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create database `name` and return its URL. Without `template` it is EMPTY
        (no tables); with one it is a copy of that database, which must have no open
        connections (dispose of its engines first)."""
        check_name(name)
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            # FILE_COPY copies files instead of logging every page: much faster for
            # small databases (it checkpoints, which costs little with fsync off).
            statement += sql.SQL(" TEMPLATE {} STRATEGY FILE_COPY").format(
                sql.Identifier(check_name(template))
            )
        self.execute(statement)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop `name` if it exists, closing whatever is still connected to it."""
        self.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(check_name(name))
            )
        )

    @contextlib.contextmanager
    def database(self, name: str, template: str | None = None) -> Iterator[str]:
        """`create_database` for the length of a with-block, dropped afterwards."""
        url = self.create_database(name, template)
        try:
            yield url
        finally:
            self.drop_database(name)


def reap_orphans(base: Path, bin_dir: Path, account: pwd.struct_passwd | None) -> None:
    """Stop and remove the servers of test sessions that died without stopping them
    (killed outright), so they do not pile up in memory; live sessions' are left."""
    for root in base.glob(f"{PREFIX}*"):
        try:
            owner = int((root / OWNER_FILE).read_text())
            os.kill(owner, 0)
            continue  # its session is still running
        except ProcessLookupError:
            pass
        except (OSError, ValueError):
            continue  # not ours to judge
        PostgresServer(bin_dir, root, 0, "", account).stop()


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise ValueError(f"database name {name!r}: use lowercase letters, digits and '_'")
    return name
