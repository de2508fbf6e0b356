#!/usr/bin/env python3
"""Build the self-contained one-folder Cove (dist/cove/) with PyInstaller, then report its size and cold start.

    python3 packaging/build_bundle.py            # set up .venv if needed, install `.[bundle]`, probe, build, measure
    python3 packaging/build_bundle.py --no-install --no-probe   # rebuild quickly from the existing venv/probe

Why a separate script: a bundle takes 10-20 minutes on 2 cores and ~1.5 GB of disk, so it is run on purpose, never
as part of CI. Standard library only (it runs before the venv exists). Steps:
1. the venv: packaging/bootstrap.py's set-up (CPU torch pinned first), then `pip install -e .[bundle]` (PyInstaller);
2. the import probe: a real index/search/ask/status session in the venv lists every module it imported, so lazily
   imported modules (transformers, sentence-transformers, lancedb) are bundled;
3. PyInstaller with packaging/cove.spec;
4. the bundle's size, and the wall time of `cove --help` and `cove status`, first (cold) and second run.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
TORCH_PIN = "torch==2.13.0"  # the same pin as bootstrap.py: the CPU build, never CUDA


def _run(cmd: list[str | Path], **kwargs: object) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kwargs)  # type: ignore[arg-type]


def ensure_venv(install: bool) -> Path:
    """The project venv (bootstrap.py creates it), with the `bundle` extra installed."""
    spec = importlib.util.spec_from_file_location("cove_bootstrap", PACKAGING / "bootstrap.py")
    assert spec and spec.loader
    bootstrap = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bootstrap)
    py = Path(bootstrap.ensure_env()) if install else Path(bootstrap.venv_python())
    if not py.exists():
        sys.exit(f"no venv at {py}: run without --no-install first")
    if install:
        _run([py, "-m", "pip", "install", "--disable-pip-version-check", TORCH_PIN, "-e", f"{ROOT}[bundle]"])
    return py


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit in ("B", "KB") else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def drop_caches_hint() -> None:
    """A truly cold start needs the page cache dropped (root only); say so rather than pretend."""
    try:
        with open("/proc/sys/vm/drop_caches", "w") as fh:
            os.sync()
            fh.write("3\n")
        print("(page cache dropped: the first runs below are truly cold)")
    except OSError:
        print("(could not drop the page cache: 'first run' means first after the build, files may be cached)")


def time_command(exe: Path, args: list[str], env: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    proc = subprocess.run([str(exe), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        print(f"  `cove {' '.join(args)}` exited {proc.returncode}: {proc.stderr.strip()[-800:]}")
    return elapsed, proc.returncode


def measure(bundle: Path) -> int:
    exe = bundle / ("cove.exe" if os.name == "nt" else "cove")
    print(f"\nBundle: {bundle}  size {human(dir_size(bundle))}")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="cove-bundle-check-") as tmp:
        env = dict(os.environ, COVE_DATA_DIR=tmp, QT_QPA_PLATFORM="offscreen")
        env.pop("COVE_CONFIG_DIR", None)
        drop_caches_hint()
        for args in (["--help"], ["status"]):
            times = []
            for _ in range(2):
                elapsed, code = time_command(exe, args, env)
                failures += code != 0
                times.append(elapsed)
            print(f"  cove {' '.join(args):<8} first {times[0]:.2f} s, second {times[1]:.2f} s")
    return 1 if failures else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-install", action="store_true", help="use the venv as it is")
    parser.add_argument("--no-probe", action="store_true", help="reuse build/probe-modules.txt")
    parser.add_argument("--clean", action="store_true", help="drop PyInstaller's cache and the old bundle first")
    parser.add_argument("--measure-only", action="store_true", help="only report size and start times of dist/cove")
    args = parser.parse_args(argv)

    dist, work = ROOT / "dist", ROOT / "build"
    if args.measure_only:
        return measure(dist / "cove")
    py = ensure_venv(install=not args.no_install)
    work.mkdir(exist_ok=True)
    probe = work / "probe-modules.txt"
    if not args.no_probe or not probe.exists():
        _run([py, PACKAGING / "probe_imports.py", probe])
    if args.clean:
        shutil.rmtree(work / "pyinstaller", ignore_errors=True)
        shutil.rmtree(dist / "cove", ignore_errors=True)
    started = time.perf_counter()
    env = dict(os.environ, COVE_PROBE_MODULES=str(probe))
    _run([py, "-m", "PyInstaller", PACKAGING / "cove.spec", "--noconfirm", "--distpath", dist,
          "--workpath", work / "pyinstaller"] + (["--clean"] if args.clean else []), env=env)
    print(f"PyInstaller took {time.perf_counter() - started:.0f} s")
    return measure(dist / "cove")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
