"""A throwaway PostgreSQL server for the tests: Debian's binaries, a temporary cluster, loopback.

Why a real server: Mesop's sql backend on PostgreSQL (Cloud SQL in production) is what lets
several workers or replicas share state; SQLite in one file cannot show that. The cluster lives in
a temporary folder, listens on 127.0.0.1 on a free port (and on a Unix socket, as Cloud SQL's
connector does on Cloud Run), requires passwords, and is removed afterwards.
PostgreSQL refuses to run as root: as root, the server runs as the `postgres` account that
Debian's package creates (or `nobody`).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from app.gcs.emulator import die_with_parent
from tests.harness import ROOT, free_port

ADMIN = "gallery_admin"
ADMIN_PASSWORD = "throwaway-admin"
APP_USER, APP_PASSWORD = "mesop_gallery", "throwaway-app"


def server_binaries() -> Path | None:
    """The folder with initdb and postgres: PG_BIN, Debian's newest, or the PATH's."""
    candidates = [os.environ.get("PG_BIN", "")]
    candidates += sorted(
        (str(p) for p in Path("/usr/lib/postgresql").glob("*/bin")),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    found = shutil.which("initdb")
    candidates.append(str(Path(found).parent) if found else "")
    for folder in filter(None, candidates):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "postgres").exists():
            return Path(folder)
    return None


def binaries_or_skip() -> Path:
    """Skip (the calling test only) where PostgreSQL is not installed; in CI, whose script
    installs it, its absence is a failure, so the multi-worker tests cannot silently not run."""
    found = server_binaries()
    if found is None:
        reason = ("PostgreSQL's server binaries (initdb, postgres) are not installed: "
                  "`apt-get install postgresql`, or set PG_BIN")  # fmt: skip
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


@dataclass
class Cluster:
    port: int
    socket_dir: Path
    launch: Callable[[], subprocess.Popen]
    log: Path
    process: subprocess.Popen | None = None

    def stop(self) -> None:
        """Shut the server down now ("fast": open connections are cut), as an outage would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=30)

    def start(self) -> None:
        """Start it again on the same port and data; return once it takes connections."""
        self.process = self.launch()
        _wait_until_ready(self, self.process, self.log)

    def uri(self, user: str, password: str, database: str = "postgres") -> str:
        """A SQLAlchemy URI over TCP, as MESOP_STATE_SESSION_BACKEND_SQL_CONNECTION_URI takes it."""
        return f"postgresql+psycopg://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def admin(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=ADMIN,
            password=ADMIN_PASSWORD,
            dbname=database,
            autocommit=True,
        )


def _account() -> dict[str, int]:
    """Run the server as a non-root account when we are root (PostgreSQL insists)."""
    if os.geteuid() != 0:
        return {}
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    raise RuntimeError("running as root and no `postgres` or `nobody` account to run PostgreSQL")


@contextlib.contextmanager
def cluster(binaries: Path) -> Iterator[Cluster]:
    account = _account()
    # Not pytest's tmp_path: that is private to root, and the server may run as another account.
    home = Path(tempfile.mkdtemp(prefix="gallery-pg-"))
    data, log = home / "data", home / "server.log"
    (home / "pwfile").write_text(ADMIN_PASSWORD + "\n")
    if account:
        os.chown(home, account["user"], account["group"])
        os.chown(home / "pwfile", account["user"], account["group"])
    port = free_port()
    found: Cluster | None = None
    try:
        made = subprocess.run(
            [str(binaries / "initdb"), "-D", str(data), "-U", ADMIN,
             "--pwfile", str(home / "pwfile"), "--auth=scram-sha-256", "--encoding=UTF8",
             "--no-sync"],
            capture_output=True, text=True, cwd=home, **account,
        )  # fmt: skip
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed ({made.returncode}):\n{made.stderr}")

        def launch() -> subprocess.Popen:
            with log.open("ab") as out:
                return subprocess.Popen(
                    [str(binaries / "postgres"), "-D", str(data), "-p", str(port),
                     "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={home}",
                     "-c", "fsync=off", "-c", "max_connections=50"],
                    stdout=out, stderr=subprocess.STDOUT, preexec_fn=die_with_parent, cwd=home,
                    **account,
                )  # fmt: skip

        found = Cluster(port=port, socket_dir=home, launch=launch, log=log)
        found.start()
        yield found
    finally:
        process = found.process if found is not None else None
        if process is not None and process.poll() is None:
            process.terminate()  # "smart" shutdown: waits for clients, which are gone by now
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(home, ignore_errors=True)


def _wait_until_ready(found: Cluster, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"postgres exited with {process.returncode}:\n{log.read_text()}")
        try:
            found.admin().close()
            return
        except psycopg.OperationalError:
            time.sleep(0.2)
    raise RuntimeError(f"postgres did not accept connections in 60 s:\n{log.read_text()}")


def libpq(uri: str) -> str:
    """The same URI for psycopg itself (SQLAlchemy's names the driver)."""
    return uri.replace("postgresql+psycopg://", "postgresql://")


def docs_sql() -> str:
    """The SQL that docs/deploy.md tells an administrator to run: the tests run exactly that."""
    blocks = re.findall(r"```sql\n(.+?)```", (ROOT / "docs" / "deploy.md").read_text(), re.S)
    assert len(blocks) == 1, "docs/deploy.md should hold one sql block"
    return blocks[0]


def prepared_as_the_docs_say(found: Cluster) -> str:
    """A database `gallery` made as docs/deploy.md says, and the URI of its least-privileged
    user: what the app connects as on Cloud SQL."""
    with found.admin() as admin:
        admin.execute(f"CREATE ROLE {APP_USER} LOGIN PASSWORD '{APP_PASSWORD}'")
        admin.execute("CREATE DATABASE gallery")
    with found.admin("gallery") as admin:
        admin.execute(docs_sql())
    return found.uri(APP_USER, APP_PASSWORD, "gallery")
