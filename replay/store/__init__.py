"""The audit store: its schema, the writer, the writer process and every query against it."""
