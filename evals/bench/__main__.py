"""python -m evals.bench: the same bench as ``python -m evals bench``."""

from evals.bench.bench import main

if __name__ == "__main__":
    raise SystemExit(main())
