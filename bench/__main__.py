"""``make bench``: run every benchmark module (``bench/bench_*.py``).

Each module has ``run() -> list[str]`` and returns its report lines; every
figure is a ratio against a baseline measured in the same run, so results
compare across machines. ``python -m bench NAME`` runs one module.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def _modules(selected: list[str]) -> list[str]:
    here = Path(__file__).parent
    names = sorted(
        info.name for info in pkgutil.iter_modules([str(here)]) if info.name.startswith("bench_")
    )
    if selected:
        names = [name for name in names if any(part in name for part in selected)]
    return names


def main(argv: list[str]) -> int:
    names = _modules(argv)
    if not names:
        print("no benchmark matched")
        return 1
    for name in names:
        started = time.perf_counter()
        print(f"=== {name}", flush=True)
        module = importlib.import_module(f"bench.{name}")
        for line in module.run():
            print(f"  {line}", flush=True)
        print(f"  ({time.perf_counter() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
