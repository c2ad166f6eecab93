"""Training machinery: the loop (AMP, DDP, checkpoints), per-model recipes, the subject-wise protocol, reports."""
