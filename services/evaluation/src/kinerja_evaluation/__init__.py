"""Kinerja evaluation service (see bootstrap.py for what it serves and consumes)."""
