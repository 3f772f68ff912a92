"""The engine: numpy, vectorised over replications.

Named random streams, the population and its names, the model's quarter step,
strategies (serving, take-up, fidelity, price), :class:`Simulation` (advance,
decide, fork, replay a plan), metrics and the dashboard's figures. It reads the
formats layer and nothing above it.
"""
