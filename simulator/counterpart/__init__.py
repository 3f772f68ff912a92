"""The persona engine: a scripted counterpart for solo practice (never imports Textual).

:mod:`~simulator.counterpart.moves` understands what the player says as one of the
agenda's moves; :mod:`~simulator.counterpart.facts` draws what a persona knows of the
scenario from its briefings and hidden truths; :mod:`~simulator.counterpart.conversation`
plays the persona turn by turn; :mod:`~simulator.counterpart.hints` points to what a
skilled lead would ask next, from the debrief's look-fors.
"""
