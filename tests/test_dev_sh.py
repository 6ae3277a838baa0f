"""dev.sh (issue 18): a clear message when Python 3.11 is missing, and one install stamp for
serve and test. Run on a copy of the script, with stand-ins for Python and pip."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT

TOOLS = ["bash", "sha256sum", "cut", "id", "dirname", "grep", "rm", "cat", "env", "touch"]


def sandbox(tmp_path: Path, python3_version: str | None) -> tuple[Path, dict[str, str]]:
    """A copy of dev.sh and pyproject.toml, and a PATH with the shell tools and no python3.11."""
    work, bin_dir = tmp_path / "repo", tmp_path / "bin"
    work.mkdir()
    bin_dir.mkdir()
    shutil.copy(ROOT / "dev.sh", work / "dev.sh")
    shutil.copy(ROOT / "pyproject.toml", work / "pyproject.toml")
    for tool in TOOLS:
        (bin_dir / tool).symlink_to(shutil.which(tool))
    if python3_version:
        fake = bin_dir / "python3"
        fake.write_text(f"#!/bin/bash\necho {python3_version}\n")
        fake.chmod(0o755)
    return work, {"PATH": str(bin_dir), "HOME": str(tmp_path)}


def test_without_python_3_11_it_says_so_clearly(tmp_path):
    work, env = sandbox(tmp_path, python3_version="3.13")
    r = subprocess.run(["bash", "dev.sh", "serve"], cwd=work, env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert "Python 3.11 is needed" in r.stderr and "PYTHON=" in r.stderr and "需要 Python 3.11" in r.stderr
    assert not (work / ".venv").exists()  # nothing half-made
    r = subprocess.run(["bash", "dev.sh", "test"], cwd=work, env={**env, "PYTHON": "python3"}, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1 and "is Python 3.13" in r.stderr


def test_serve_after_test_installs_nothing_again(tmp_path):
    work, env = sandbox(tmp_path, python3_version=None)
    venv_bin = work / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    calls = tmp_path / "pip-calls"
    (venv_bin / "python").write_text(f'#!/bin/bash\necho "$@" >> {calls}\n')
    (venv_bin / "playground").write_text("#!/bin/bash\necho serving \"$@\"\n")
    for f in venv_bin.iterdir():
        f.chmod(0o755)
    digest = hashlib.sha256((work / "pyproject.toml").read_bytes()).hexdigest()[:16]
    (work / ".venv" / f".installed-{digest}").write_text("test\n")  # what `./dev.sh test` leaves
    r = subprocess.run(["bash", "dev.sh", "serve", "--port", "9"], cwd=work, env=env, capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0 and "serving serve --port 9" in r.stdout, r.stderr
    assert not calls.exists()  # no pip install
    (work / ".venv" / f".installed-{digest}").write_text("app\n")  # what `./dev.sh serve` leaves
    subprocess.run(["bash", "dev.sh", "serve"], cwd=work, env=env, capture_output=True, timeout=30)
    assert not calls.exists()
