"""The pretrained WearTwin encoder (`weartwin pretrain`, `weartwin train ... --init`).

One encoder for one 6-channel device (acc xyz in m/s², gyro xyz in rad/s) at any body site:
- `contract`: the input contract (rate, window, channels, units, fixed physical scaling) and the
  model folder (`encoder.pt`, `contract.json`, `MODEL_CARD.md`), read as hostile input;
- `network`: the pretraining network: a backbone of a product model (ResNet-1D, SImpHARNet's
  encoder, DeepConvLSTM) plus a classifier and CLIP-style signal/text projections;
- `corpus`: WearTwin exports -> windows of every `imu.<site>.*` device (site-agnostic);
- `train`: the pretraining loop (random SO(3) device rotations, per-window site sampling,
  gyro dropout, cross-entropy on labels + contrastive loss on activity texts);
- `transfer`: what fine-tuning needs (backbone weights for `weartwin train --init`, SSL
  adaptation on unlabelled training windows, zero-shot labels by class names);
- `cli`: `weartwin pretrain`.
"""
