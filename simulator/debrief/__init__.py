"""The debrief: scoring with evidence, outcomes apart from practice, the reveal,
progress across attempts, and the typed report that the renderers print.
"""
