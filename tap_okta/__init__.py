"""tap-okta: a Singer tap for Okta, built on the Meltano Singer SDK."""
