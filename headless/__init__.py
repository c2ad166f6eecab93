"""Headless face of WearTwin: the `weartwin` command and the batch runner (no GUI, pip `bpy`)."""
