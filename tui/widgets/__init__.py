"""Self-contained widgets the screens compose (each styles itself with DEFAULT_CSS)."""
