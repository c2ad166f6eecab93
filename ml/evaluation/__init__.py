"""Evaluation beyond one run: paired statistics between runs (`stats`), `weartwin compare`."""
