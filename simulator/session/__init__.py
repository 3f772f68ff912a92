"""Sessions: an append-only log of events, the state as a fold over it.

The store (a protocol, SQLite its embedded implementation), the pmsim home,
transcripts (a session's records as a file) and the session client every UI
drives. Sessions read the formats and the engine, never the debrief or a UI.
"""
