"""Build a synthetic archive of daily issues from the real sample (see flows/synthetic.py).

    .venv/bin/python -m bench.synthetic FOLDER [--issues 365]

The generator lives in the package so that `newsprint bench` finds it from any directory.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from flows.synthetic import FIRST_DAY, build_archive, synthetic_issue

__all__ = ["FIRST_DAY", "build_archive", "synthetic_issue"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--issues", type=int, default=365)
    parser.add_argument("--seed", type=int, default=20251230)
    args = parser.parse_args()
    paths = build_archive(args.folder, args.issues, args.seed)
    print(f"{len(paths)} issues in {args.folder}")


if __name__ == "__main__":
    main()
