"""Pose2Imp: bio-impedance between skin electrodes through the deformed body.

- `electrodes`: electrode regions (vertex sets) and pairs, presets and user definitions.
- `graph`: the body graph (surface edges, interior chords, contact edges) and the per-frame
  shortest current path with lazy BVH validation of chords.
- `tissue`: Cole tissue model, electrode/skin contact terms, path geometry -> impedance (pure).
- `simulate`: the per-frame hook the bake loop calls.
- `calibration`: `weartwin calibrate` (affine and a small neural sequence model).
"""
