"""A real PostgreSQL server for the test session: Debian's `postgresql` package, started with
`initdb` + `pg_ctl` in a temporary folder, listening on a Unix socket only, stopped at the end.

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
`postgres` system user (through `runuser`), in a folder that user owns. When no server can be had
(`scripts/install-postgresql.sh` installs one) `PostgresServer.start` says why, and the
PostgreSQL half of the suite skips with that reason.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

USER = "blether"


def find_bindir() -> Path | None:
    """`initdb`'s folder: $BLETHER_PG_BINDIR, else `pg_config`, else Debian's newest version."""
    configured = os.environ.get("BLETHER_PG_BINDIR")
    if configured:  # an explicit choice is used or reported, never silently replaced
        chosen = Path(configured)
        return chosen if (chosen / "initdb").exists() and (chosen / "pg_ctl").exists() else None
    candidates: list[Path] = []
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if found:
            candidates.append(Path(found))
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                      if Path(p).parent.name.isdigit() else 0, reverse=True)
    candidates.extend(Path(p) for p in versions)
    return next((c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()), None)


class PostgresUnavailable(Exception):
    pass


class PostgresServer:
    def __init__(self) -> None:
        self.root: Path | None = None
        self._prefix: list[str] = []
        self._bindir: Path | None = None
        self._counter = 0

    @property
    def socket_dir(self) -> Path:
        assert self.root is not None
        return self.root / "run"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@/{database}?host={self.socket_dir}"

    def next_name(self) -> str:
        self._counter += 1
        return f"blether_test_{os.getpid()}_{self._counter}"

    def _run(self, *argv: str) -> None:
        result = subprocess.run([*self._prefix, *argv], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise PostgresUnavailable(f"{Path(argv[0]).name} failed: {(result.stderr or result.stdout).strip()[-500:]}")

    def start(self) -> None:
        bindir = find_bindir()
        if bindir is None:
            raise PostgresUnavailable("no PostgreSQL server binaries (initdb, pg_ctl); "
                                      "run scripts/install-postgresql.sh")
        self._bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="blether-pg-"))
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PostgresUnavailable("running as root and no `postgres` user to run the server as") from exc
            if shutil.which("runuser") is None:
                raise PostgresUnavailable("running as root and `runuser` is missing")
            self._prefix = ["runuser", "-u", "postgres", "--"]
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self.root.chmod(0o755)  # the socket folder inside must be reachable by the test process
        data, log = self.root / "data", self.root / "server.log"
        self._run("sh", "-c", f"mkdir -m 0755 {self.socket_dir} && touch {log}")
        self._run(str(bindir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "--encoding=UTF8",
                  "--no-sync", "--no-instructions")
        options = (f"-c listen_addresses='' -k {self.socket_dir} -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=200")
        self._run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        if self.root is None:
            return
        if self._bindir is not None and (self.root / "data" / "postmaster.pid").exists():
            subprocess.run([*self._prefix, str(self._bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m",
                            "immediate", "-w", "stop"], capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None
