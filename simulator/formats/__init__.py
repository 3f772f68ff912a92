"""File formats as strict pydantic models, and the one loader that reads them.

Scenarios, the look-fors, the event payloads of a session's log, the
performance-management routine (agenda steps, record kinds and their fields,
stages, roles) and the rubric: everything a facilitator can write or a session
can store is defined here, headless and with no numpy. Every other layer asks
these models; nothing below them knows about the engine, sessions or the UI.
"""
