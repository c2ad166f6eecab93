"""Learned text-to-motion: a T2M-GPT-compatible VQ-VAE + GPT (`t2mgpt`), its training on
HumanML3D (`train`) and the `python -m ml t2m` command (`cli`)."""
