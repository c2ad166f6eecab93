"""WearTwin training side: datasets, subject-wise evaluation, DeepConvLSTM, SImpHARNet,
Multi3Net+. Never imports `bpy` or `addon` (except `addon.export.atomic`, the stdlib-only file
writer every part shares); WearTwin exports are read as files.

    from ml import train
    metrics = train("dcl", out="runs/dcl", data=["../shared/data/imu/sp_sw_har"], epochs=5)
"""
from .api import train

__all__ = ["train"]
