"""Measurements of tap-okta on the simulator, not tests: nothing here fails on a slow
machine. Run them as modules from the repository root (``python -m
benchmarks.throughput --help``); they import the simulator (``tests.okta_sim``) and
the test harness (``tests.harness``), never a test module."""
