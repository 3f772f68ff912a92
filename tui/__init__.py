"""The Textual client of the pmsim engine."""
