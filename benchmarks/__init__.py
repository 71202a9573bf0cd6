"""Benchmarks of tap-okta against the bundled Okta simulator (run as modules from the
repository root, e.g. ``python -m benchmarks.large_org``)."""
