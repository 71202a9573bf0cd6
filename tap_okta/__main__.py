"""``python -m tap_okta``: the same command line as ``tap-okta``."""

from __future__ import annotations

from tap_okta.tap import main

if __name__ == "__main__":
    main()
