"""Blether as installed, not as checked out: its data files ship in the wheel, and matplotlib
is left unimported until a report's charts are drawn."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: What the wheel is built from; a copy, so building leaves no build/ or egg-info in the checkout.
SOURCES = ("pyproject.toml", "README.md", "bot", "cogs", "prompts")
SHIPPED_PLAN = ROOT / "prompts" / "whats-next-for-recovery" / "plan.yaml"


def _clean_env() -> dict[str, str]:
    """The caller's environment without anything that could point Python or Blether elsewhere."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "BLETHER_", "DISCORD_"))}


def test_importing_the_bot_and_the_cli_does_not_import_matplotlib() -> None:
    # A fresh interpreter: other tests in this process may have drawn charts already.
    code = ("import sys, bot.cli, bot.discord_chat, bot.rehearsal.run, bot.export.writers;"
            "print(sorted(m for m in sys.modules if m.partition('.')[0] == 'matplotlib'))")
    result = subprocess.run([sys.executable, "-c", code], env=_clean_env(), capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding a non-editable install of Blether's wheel; returns its bin folder.

    Only Blether comes from the wheel. Its dependencies are borrowed from this interpreter's
    site-packages through a ``.pth`` line, so the test needs no network and no minutes of
    downloads; a path line in a ``.pth`` file does not run the ``.pth`` files it points at, so
    an editable install there (the checkout's finder) stays switched off.
    """
    work = tmp_path_factory.mktemp("install")
    source = work / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(ROOT / name, source / name)
    dist = work / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--wheel-dir", str(dist),
                    str(source)], check=True, timeout=300, capture_output=True)
    (wheel,) = dist.glob("blether-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True, timeout=60).stdout.strip()
    borrowed = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (Path(site) / "blether-test-dependencies.pth").write_text("".join(f"{p}\n" for p in borrowed), encoding="utf-8")
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)],
                   check=True, timeout=300, capture_output=True)
    return venv / "bin"


@pytest.mark.slow
def test_a_fresh_non_editable_install_checks_plans_and_rehearses(installed: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"  # not the checkout, so its bot/ cannot shadow the installed one
    elsewhere.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, cwd=elsewhere, env=_clean_env(), capture_output=True, text=True, timeout=120,
                              check=False)

    where = run(str(installed / "python"), "-c", "import bot, cogs, prompts; print(bot.__file__, cogs.__file__, "
                "prompts.__file__, sep='\\n')")
    assert where.returncode == 0, where.stderr
    venv = installed.parent.resolve()
    assert all(Path(line).resolve().is_relative_to(venv) for line in where.stdout.split()), where.stdout

    check = run(str(installed / "blether"), "plans", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "whats-next-for-recovery" in check.stdout and "1 plan checked, all good." in check.stdout

    own = elsewhere / "our-plans"
    (own / "our-cafe").mkdir(parents=True)
    text = SHIPPED_PLAN.read_text(encoding="utf-8").replace("id: whats-next-for-recovery", "id: our-cafe", 1)
    (own / "our-cafe" / "plan.yaml").write_text(text, encoding="utf-8")
    ours = run(str(installed / "blether"), "plans", "check", "--plans", "our-plans")
    assert ours.returncode == 0, ours.stdout + ours.stderr
    assert "our-cafe" in ours.stdout and "whats-next-for-recovery" not in ours.stdout

    out = elsewhere / "out"
    rehearsal = run(str(installed / "blether"), "--env-file", "none.env", "rehearse", "--out", str(out),
                    "--participants", "4", "--speed", "1200", "--quiet")
    assert rehearsal.returncode == 0, rehearsal.stdout + rehearsal.stderr
    assert {".csv", ".jsonl", ".md", ".html", ".qdpx", ".qdc"} <= {p.suffix for p in out.iterdir()}
    assert "<svg" in next(out.glob("*.html")).read_text(encoding="utf-8"), "the report's charts were drawn"
