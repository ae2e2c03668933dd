"""The import-time CPU check: a library built for instructions the CPU lacks is refused by name."""
import pytest

from afme import _cpu


def fake(tmp_path, target, flags):
    (tmp_path / "cpu_target.txt").write_text(target + "\n")
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: " + " ".join(sorted(flags)) + "\n")
    return tmp_path / "libafme.so", str(cpuinfo)


def test_haswell_library_is_refused_on_a_cpu_without_avx2(tmp_path):
    lib, cpuinfo = fake(tmp_path, "haswell", _cpu.REQUIRED["haswell"] - {"avx2", "fma"} | {"sse2"})
    with pytest.raises(ImportError, match=r"haswell CPUs and this CPU lacks avx2, fma; reinstall with AFME_PORTABLE=1"):
        _cpu.check(lib, cpuinfo)


def test_avx512_library_names_the_missing_avx512_sets(tmp_path):
    lib, cpuinfo = fake(tmp_path, "skylake-avx512", _cpu.REQUIRED["haswell"])
    with pytest.raises(ImportError) as e:
        _cpu.check(lib, cpuinfo)
    for flag in ("avx512f", "avx512bw", "avx512vl"):
        assert flag in str(e.value)


def test_a_cpu_with_the_instructions_loads_and_portable_code_loads_anywhere(tmp_path):
    lib, cpuinfo = fake(tmp_path, "haswell", _cpu.REQUIRED["haswell"] | {"sse2"})
    _cpu.check(lib, cpuinfo)
    lib, cpuinfo = fake(tmp_path, "x86-64", {"sse2"})
    _cpu.check(lib, cpuinfo)


def test_no_marker_means_no_check(tmp_path):
    _cpu.check(tmp_path / "libafme.so", str(tmp_path / "absent"))
