"""Motion import: files of the formats the field uses -> `Motion` (numpy, Z-up world)."""
from .formats import MOTION_EXTENSIONS, load_motion
from .motion import Motion, MotionError
from .resample import resample

__all__ = ["Motion", "MotionError", "load_motion", "resample", "MOTION_EXTENSIONS"]
