"""Samordna: workflow and case tracking for SLT measures (tiltak) in Norwegian municipalities."""

__version__ = "0.1.0"
