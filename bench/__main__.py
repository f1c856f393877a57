"""``make bench``: every benchmark, each reported against a baseline from the same run."""

import sys


def main() -> int:
    print("forestall benchmarks: none registered yet")
    return 0


if __name__ == "__main__":
    sys.exit(main())
