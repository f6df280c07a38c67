"""Where things live: the packaged assets and the user's data folder; a file's checksum."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import platformdirs


def assets_dir() -> Path:
    """The `assets/` folder (installed as the package `ribsdown_assets`)."""
    return Path(str(resources.files("ribsdown_assets")))


def voice_dir() -> Path:
    """The folder of voice lines, one WAV per cue."""
    return assets_dir() / "voice"


def user_data_dir() -> Path:
    """The user's ribsdown data folder (sessions are written under it)."""
    return platformdirs.user_data_path("ribsdown", appauthor=False)


def user_rules_path() -> Path:
    """The user's own cue rules (overriding the shipped ones), when the file exists."""
    return platformdirs.user_config_path("ribsdown", appauthor=False) / "rules.toml"


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file (hex), read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
