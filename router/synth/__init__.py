"""Synthetic corpora whose headers follow the real variants, and synthetic topologies."""
