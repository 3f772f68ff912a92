"""The ``pmsim`` command: the shell above the engine library and the TUI.

``pmsim --version`` imports nothing heavy; ``play`` opens the TUI; every other
command stays headless.
"""
