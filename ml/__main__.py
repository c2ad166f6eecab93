"""`python -m ml train MODEL ...` — the training commands (also reached as `weartwin train`)."""
import sys


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m ml train MODEL --data DIR... --out RUN [options]\n"
              "       (see `python -m ml train --help`)")
        return 0 if argv else 2
    if argv[0] == "t2m":
        from .text2motion.cli import main as t2m_main

        return t2m_main(argv[1:])
    if argv[0] == "compare":
        from .evaluation.compare import main as compare_main

        return compare_main(argv[1:])
    if argv[0] == "pretrain":
        from .pretrain.cli import main as pretrain_main

        return pretrain_main(argv[1:])
    if argv[0] == "predict":
        from .inference.predict import main as predict_main

        return predict_main(argv[1:])
    if argv[0] != "train":
        print(f"python -m ml: unknown command '{argv[0]}' (known: train, pretrain, compare, predict, t2m)", file=sys.stderr)
        return 2
    from .cli import main as train_main

    return train_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
