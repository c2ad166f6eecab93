"""Trained models that leave a run: `model_file` (save/load, no pickle), `predict` (CLI)."""
