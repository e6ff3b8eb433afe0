"""coverhub as real processes (`python -m app.cli ...`), for the production-mode tests."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

COVERHUB = [sys.executable, "-m", "app.cli"]
ROOT = Path(__file__).resolve().parents[2]


class Proc:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.handle = log.open("wb")
        self.p = subprocess.Popen(
            [*COVERHUB, *args], env=env, stdout=self.handle, stderr=subprocess.STDOUT, cwd=ROOT
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.p.poll() is None:
            self.p.send_signal(sig)
        code = self.p.wait(timeout)
        self.handle.close()
        return code


def start(procs: list[Proc], tmp_path: Path, env: dict[str, str], *args: str) -> Proc:
    proc = Proc(list(args), env, tmp_path / f"{args[0]}-{len(procs)}.log")
    procs.append(proc)
    return proc
