"""Developer scripts. The Python ones run as modules from the repository root
(``python -m scripts.benchmark``), so they import ``tests`` and ``tap_okta`` as packages."""
