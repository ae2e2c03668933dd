"""Puts libafme.so inside the package, so `pip install ./bindings/python` (or a wheel from `pip wheel`)
works with no environment variable.

The library comes from AFME_LIBRARY if set, else it is built from this checkout with the Swift toolchain
(scripts/common.sh build_library: the Swift runtime linked in statically, so only libc, libm, libstdc++,
libgcc_s and OpenBLAS are needed). Beside it goes `cpu_target.txt`, the CPU the code was generated for;
the package refuses to load on a CPU that lacks its instruction set (afme/_cpu.py) instead of dying with
SIGILL. AFME_PORTABLE=1 builds baseline x86-64 code that loads anywhere (and runs far slower: BENCHMARKS.md).
"""
import os
import pathlib
import shutil
import subprocess

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def _cpu_target() -> str:
    flags = subprocess.run(["bash", "-c", "source scripts/common.sh && swift_cpu_flags"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.split()
    return flags[-1] if "-target-cpu" in flags else "x86-64"


class BuildPyWithLibrary(build_py):
    def run(self):
        super().run()
        package = pathlib.Path(self.build_lib) / "afme"
        given = os.environ.get("AFME_LIBRARY")
        if given:
            library, target = pathlib.Path(given), os.environ.get("AFME_CPU_TARGET", "unknown")
        else:
            if not (ROOT / "scripts" / "common.sh").exists():
                raise RuntimeError(f"no libafme checkout at {ROOT}: set AFME_LIBRARY to a built libafme.so")
            subprocess.run(["bash", "-c", "source scripts/common.sh && build_library"], cwd=ROOT, check=True)
            library, target = ROOT / ".build" / "release" / "libafme.so", _cpu_target()
        shutil.copy2(library, package / "libafme.so")
        (package / "cpu_target.txt").write_text(target + "\n")


class BinaryDistribution(Distribution):
    """The package carries a native library: its wheel is platform-specific."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildPyWithLibrary}, distclass=BinaryDistribution)
