"""Refuses to load a libafme.so compiled for instructions this CPU lacks, with a message naming them,
instead of letting the host die with SIGILL at the first kernel. The build records its target CPU in
cpu_target.txt beside the library (setup.py)."""
import pathlib

# /proc/cpuinfo flags the code generated for each -target-cpu may use (LLVM's definitions of these CPUs,
# as far as user-space instructions go).
_HASWELL = {"sse4_1", "sse4_2", "ssse3", "popcnt", "pclmulqdq", "avx", "avx2", "fma", "f16c", "bmi1", "bmi2",
            "movbe", "abm"}
REQUIRED = {
    "x86-64": set(),
    "haswell": _HASWELL,
    "skylake-avx512": _HASWELL | {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "adx", "rdseed"},
}


def cpu_flags(cpuinfo: str = "/proc/cpuinfo") -> set:
    try:
        text = pathlib.Path(cpuinfo).read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def missing_instructions(target: str, flags: set) -> list:
    """The instruction-set flags `target` needs that `flags` lacks (empty for unknown targets)."""
    return sorted(REQUIRED.get(target, set()) - flags)


def check(library: pathlib.Path, cpuinfo: str = "/proc/cpuinfo") -> None:
    marker = library.parent / "cpu_target.txt"
    if not marker.exists():
        return
    target = marker.read_text().strip()
    flags = cpu_flags(cpuinfo)
    if not flags:
        return  # not Linux x86 or no cpuinfo: nothing to compare against
    missing = missing_instructions(target, flags)
    if missing:
        raise ImportError(
            f"{library} was compiled for {target} CPUs and this CPU lacks {', '.join(missing)}; "
            "reinstall with AFME_PORTABLE=1 pip install ./bindings/python for code that runs on any x86-64")
