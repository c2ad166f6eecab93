"""Training side of WearTwin: datasets, evaluation, models. Never imports bpy (not built yet)."""
