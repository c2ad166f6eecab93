"""Models: DeepConvLSTM, SImpHARNet, Multi3Net+ (torch), and the random-forest baseline."""
from .dcl import DeepConvLSTM
from .losses import LogitScale, info_nce
from .moe import MoEHead
from .resnet import ResNet1D
from .multi3net import Multi3Net
from .simpharnet import ConvEncoder, SImpHARNet

__all__ = ["DeepConvLSTM", "ResNet1D", "LogitScale", "info_nce", "MoEHead", "Multi3Net", "ConvEncoder", "SImpHARNet"]
