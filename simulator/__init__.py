"""pmsim's engine: a headless library for scenarios, simulation, sessions and scoring.

Nothing here imports Textual; this module imports nothing heavy so that
``pmsim --version`` stays fast.
"""

__version__ = "0.1.0"
