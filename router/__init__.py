"""Decoding cables and deciding where they go: pure functions, no I/O."""
