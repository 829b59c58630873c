"""Corpus I/O, MQTT transport, scheduling, the audit store, audits and the command line."""
