"""The project's settings with the benchmark's URLconf (benchmarks/bench_urls.py)."""

from liaison.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
