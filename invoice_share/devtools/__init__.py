"""The demo and the benchmark, run by `scripts/demo` and `scripts/benchmark` (and the tests'
fixtures); nothing of the running app imports them."""
