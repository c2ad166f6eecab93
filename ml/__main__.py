"""`python -m ml COMMAND ...` — training commands (reached from `weartwin train`)."""
import sys

print("weartwin: the training side (ml/: datasets, LOSO evaluation, DeepConvLSTM, SImpHARNet, "
      "Multi3Net+) is not built yet", file=sys.stderr)
sys.exit(2)
