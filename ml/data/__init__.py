"""Data for training: readers, resampling, channel mapping, windows, calibration, texts."""
from .calibration import QuantileCalibration, Standardizer
from .channels import DEFAULT_SITE_MAP, INPUTS, channel_names, extract, normalize_label
from .readers import READERS, detect, load_dataset
from .sequence import DataError, Sequence, imu_sequence
from .windows import Windows, make_windows

__all__ = ["QuantileCalibration", "Standardizer", "DEFAULT_SITE_MAP", "INPUTS", "channel_names", "extract",
           "normalize_label", "READERS", "detect", "load_dataset", "DataError", "Sequence", "imu_sequence",
           "Windows", "make_windows"]
