"""Malformed landmark files (`analyze --landmarks`): each is refused in one line, or it replays
to a session whose summary is valid JSON — never a traceback, never a half-written folder.

The files are a real session's landmarks.npz (its first 5 s) with one thing broken: a key
missing, an array cut short, reshaped or of the wrong type, the frame rate 0, NaN, negative or
text, NaN or backwards frame times, the archive cut short or overwritten, a lone `.npy`; made
by a seeded generator so a failure can be replayed.
"""

from __future__ import annotations

import io
import json
import random

import numpy as np
import pytest

from realtime.core.errors import UserError
from realtime.record.landmarks import load_landmarks
from tests.cli import run_cli, user_lines
from tests.sessions import arched_session

N_FILES = 220
BAD_SCALARS = [0, -30.0, float("nan"), float("inf"), "thirty", 1e9, True]


@pytest.fixture(scope="module")
def base(clips_dir, tmp_path_factory) -> dict[str, np.ndarray]:
    """The arrays of a real session's landmark file, cut to its first 150 frames."""
    with np.load(arched_session(clips_dir, tmp_path_factory) / "landmarks.npz") as data:
        arrays = {k: data[k] for k in data.files}
    n = len(arrays["t"])
    return {k: (v[:150] if v.ndim and v.shape[0] == n else v) for k, v in arrays.items()}


def broken(base: dict[str, np.ndarray], rng: random.Random) -> tuple[str, bytes]:
    """(file name, bytes) of one malformed landmark file."""
    a = dict(base)
    per_frame = [k for k, v in a.items() if v.ndim and v.shape[0] == len(a["t"])]
    kind = rng.choice(["drop", "cut", "reshape", "text", "scalar", "size", "times", "nan_xy",
                       "truncate", "garbage", "npy", "version", "empty"])
    key = rng.choice(per_frame)
    if kind == "drop":
        del a[rng.choice(list(a))]
    elif kind == "cut":
        a[key] = a[key][: rng.randrange(len(a[key]))]
    elif kind == "reshape":
        a[key] = a[key].reshape(len(a[key]), -1)[:, : rng.randint(0, 3)] if a[key].ndim > 1 else a[key][:, None]
    elif kind == "text":
        a[key] = np.array([str(v) for v in a[key].reshape(len(a[key]), -1)[:, 0]])
    elif kind == "scalar":
        a[rng.choice(["fps", "version"])] = np.array(rng.choice(BAD_SCALARS))
    elif kind == "size":
        a["image_size"] = np.array(rng.choice([[0, 720], [720], [-1, -1], [float("nan"), 720], [720, 1280, 3]]))
    elif kind == "times":
        t = a["t"].copy()
        t[rng.randrange(len(t))] = rng.choice([float("nan"), -5.0, float("inf")])
        a["t"] = t
    elif kind == "nan_xy":
        xy = a["xy"].copy()
        xy[rng.randrange(len(xy))] = np.nan
        a["xy"] = xy
    elif kind == "version":
        a["version"] = np.array(rng.choice([0, 2, -1]))
    elif kind == "empty":
        a = {k: (v[:0] if k in per_frame else v) for k, v in a.items()}
    buf = io.BytesIO()
    if kind == "npy":
        np.save(buf, a["xy"])
        return "landmarks.npy", buf.getvalue()
    np.savez_compressed(buf, **a)
    raw = buf.getvalue()
    if kind == "truncate":
        raw = raw[: rng.randrange(len(raw))]
    elif kind == "garbage":
        at = rng.randrange(len(raw))
        raw = raw[:at] + bytes(rng.randrange(256) for _ in range(64)) + raw[at + 64:]
    return "landmarks.npz", raw


def test_every_malformed_landmark_file_is_refused_in_one_line_or_replays_cleanly(tmp_path, base):
    from cues.rules import load_rules
    from realtime.apps.assemble import build_coach
    from realtime.apps.cli import build_parser
    from realtime.pipeline.loop import replay_session
    from realtime.record.session import SessionRecord

    args = build_parser().parse_args(["analyze", "--landmarks", "x"])
    rules = load_rules()
    rng = random.Random(20261204)
    refused = replayed = 0
    for n in range(N_FILES):
        name, raw = broken(base, rng)
        path = tmp_path / f"{n}_{name}"
        path.write_bytes(raw)
        try:
            stream = load_landmarks(path)
        except UserError as err:
            assert "\n" not in str(err) and str(path) in str(err), str(err)
            refused += 1
            continue
        record = SessionRecord(source=str(path), fps=stream.fps)
        replay_session(stream, build_coach(rules, stream.image_size, args), record)
        json.dumps(record.summary(), allow_nan=False)  # summary.json must be JSON
        replayed += 1
    assert refused >= N_FILES // 2 and replayed >= 5, (refused, replayed)


@pytest.mark.parametrize("case", ["fps0", "fps_nan", "npy", "no_xy"])
def test_the_cli_refuses_a_broken_landmark_file_in_one_line_and_writes_nothing(tmp_path, base, case):
    a = dict(base)
    path = tmp_path / ("landmarks.npy" if case == "npy" else "landmarks.npz")
    if case == "npy":
        np.save(path, a["xy"])
    else:
        if case == "no_xy":
            del a["xy"]
        else:
            a["fps"] = np.array(0.0 if case == "fps0" else float("nan"))
        np.savez_compressed(path, **a)
    out = tmp_path / "out"
    result = run_cli("analyze", "--landmarks", path, "--out", out)
    lines = user_lines(result.stderr)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1 and str(path) in lines[0], lines
    assert not out.exists()
