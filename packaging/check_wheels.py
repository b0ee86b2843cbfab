#!/usr/bin/env python3
"""Check that every gate runtime dependency has a binary wheel for the Pi targets.

A Raspberry Pi has no compiler toolchain worth waiting for: a gate dependency
without an aarch64 wheel for the Pi's glibc and Python would make the
installer build from source (slow) or fail. For each target below this runs

    pip download --only-binary=:all: --platform manylinux_2_N_aarch64 ...
        --python-version X.Y --implementation cp --abi cpXY -d CACHE <gate deps>

with every manylinux tag the target's glibc accepts, and exits non-zero
naming the target whose resolution failed. The gate's dependencies are read
from pyproject.toml (everything except the server's; ``SERVER_ONLY``), their
environment markers evaluated for the target's Python. Downloads are kept in
a cache directory, so a second run only asks the index.

    python packaging/check_wheels.py [--cache DIR] [--print-deps]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent

# The oldest manylinux tag aarch64 wheels use (manylinux2014 is its alias).
OLDEST_GLIBC_MINOR = 17


@dataclass(frozen=True)
class Target:
    """A Pi operating system: its glibc and its Python."""

    name: str
    glibc_minor: int
    python: str  # "3.11"

    def platforms(self) -> list[str]:
        """Every platform tag a wheel may carry to install on this target, newest first."""
        tags = [
            f"manylinux_2_{minor}_aarch64"
            for minor in range(self.glibc_minor, OLDEST_GLIBC_MINOR - 1, -1)
        ]
        return [*tags, "manylinux2014_aarch64"]

    def abi(self) -> str:
        """The CPython ABI tag, e.g. cp311."""
        return "cp" + self.python.replace(".", "")


TARGETS = (
    Target("Raspberry Pi OS Bookworm (Debian 12)", glibc_minor=36, python="3.11"),
    Target("Raspberry Pi OS Trixie (Debian 13)", glibc_minor=41, python="3.13"),
)


def gate_requirements(pyproject: Path, python: str) -> list[str]:
    """The gate's runtime requirements (the base dependencies plus the `gate` extra) from
    *pyproject* whose markers hold on *python*."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    env = {"python_version": python, "python_full_version": f"{python}.0",
           "sys_platform": "linux", "platform_system": "Linux",
           "platform_machine": "aarch64", "implementation_name": "cpython",
           "platform_python_implementation": "CPython", "os_name": "posix"}
    wanted: list[str] = []
    project = data["project"]
    lines = [*project.get("dependencies", []),
             *project.get("optional-dependencies", {}).get("gate", [])]
    for line in lines:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        req.marker = None
        wanted.append(str(req))
    return wanted


def pip_download_command(target: Target, requirements: Sequence[str], cache: Path) -> list[str]:
    """The `pip download` command line that resolves *requirements* for *target*, wheels only."""
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
           "--only-binary=:all:", "--implementation", "cp",
           "--python-version", target.python, "--abi", target.abi(), "--abi", "abi3",
           "--abi", "none", "-d", str(cache)]
    for platform in target.platforms():
        cmd += ["--platform", platform]
    return [*cmd, *requirements]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the check for every target; 0 when all resolve to wheels, 1 otherwise."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=ROOT / ".venv" / "wheel-check")
    parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    parser.add_argument("--print-deps", action="store_true",
                        help="print each target's gate requirements and exit")
    args = parser.parse_args(argv)
    failed: list[str] = []
    for target in TARGETS:
        reqs = gate_requirements(args.pyproject, target.python)
        if args.print_deps:
            print(f"{target.name}: {' '.join(reqs)}")
            continue
        cache = args.cache / f"py{target.python}-glibc2.{target.glibc_minor}"
        cache.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(pip_download_command(target, reqs, cache), check=False,
                                capture_output=True, text=True)
        if result.returncode != 0:
            failed.append(target.name)
            print(f"FAIL {target.name}: no aarch64 wheel set for Python {target.python}, "
                  f"glibc 2.{target.glibc_minor}\n{result.stderr.strip()}", file=sys.stderr)
            continue
        wheels = sorted(p.name for p in cache.glob("*.whl"))
        print(f"ok   {target.name} (Python {target.python}, glibc 2.{target.glibc_minor}, "
              f"aarch64): {len(wheels)} wheels")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
