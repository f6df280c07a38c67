"""Malformed rules files: each is refused at load with one line naming the file, the cue and the
field, or it loads and then coaches a run without failing — never a crash minutes into a session.

The files are the shipped rules.toml with one thing broken (a value of the wrong type or out of
range, a key removed or unknown, a line dropped, the file cut short, bytes that are not UTF-8),
made by a seeded generator so a failure can be replayed.
"""

from __future__ import annotations

import random
import re

import pytest

from cues.engine import CueEngine
from cues.rules import default_rules_path, load_rules
from realtime.core.errors import UserError
from tests.cli import run_cli, user_lines
from tests.sessions import stride

SHIPPED = default_rules_path().read_text(encoding="utf-8")
#: `key = value` with a scalar value (the conditions' inline tables hold such pairs too).
SCALAR = re.compile(r'(?P<key>\b\w+) = (?P<value>"[^"\n]*"|true|false|-?\d+(?:\.\d+)?(?:e-?\d+)?)')
WRONG_VALUES = ['"minus two"', "7", "-3", "0", "true", "false", "[]", "{}", "nan", "inf", "-inf", '""',
                "1e400", '"both"', "2.5", "[1, 2]", "{ x = 1 }", '"ribs_down.wav"']
N_FILES = 240


def mutate(rng: random.Random) -> bytes:
    """The shipped rules with one thing broken."""
    kind = rng.choice(["value", "value", "value", "drop_key", "unknown_key", "drop_line", "truncate", "bytes"])
    text = SHIPPED
    matches = list(SCALAR.finditer(text))
    m = rng.choice(matches)
    if kind == "value":
        text = text[:m.start("value")] + rng.choice(WRONG_VALUES) + text[m.end("value"):]
    elif kind == "drop_key":
        text = text[:m.start()] + text[m.end():]
    elif kind == "unknown_key":
        text = text[:m.start()] + f"{m.group('key')}_typo = 1" + text[m.start() - 1:m.start()] + text[m.start():]
    elif kind == "drop_line":
        lines = text.splitlines(keepends=True)
        del lines[rng.randrange(len(lines))]
        text = "".join(lines)
    raw = text.encode("utf-8")
    if kind == "truncate":
        raw = raw[:rng.randrange(len(raw))]
    elif kind == "bytes":
        at = rng.randrange(len(raw))
        raw = raw[:at] + bytes(rng.randrange(128, 256) for _ in range(rng.randint(1, 4))) + raw[at:]
    return raw


def coach_a_run(rules) -> None:
    """Twenty minutes of strides, normal then faulty, through the cue engine with a baseline."""
    engine = CueEngine(rules, schedule="full")
    values = {"trunk_lean_midstance_deg": 5.0, "trunk_back_excursion_deg": 1.0, "extension_coupling": 0.0,
              "foot_ahead_of_hip": 0.1, "thigh_extension_deg": -15.0}
    baseline = {**values, "spread": {k: 0.5 for k in values}}
    for k in range(120):
        faulty = k >= 40
        s = stride(k * 0.7, near=k % 2 == 0, trunk_lean_midstance_deg=-5.0 if faulty else 5.0,
                   trunk_back_excursion_deg=8.0 if faulty else 1.0, extension_coupling=0.3 if faulty else 0.0,
                   foot_ahead_of_hip=0.4 if faulty else 0.1)
        engine.update(k * 0.7 + 0.7, s, baseline)


def test_every_malformed_rules_file_is_refused_in_one_line_or_coaches_without_failing(tmp_path):
    rng = random.Random(20261204)
    refused = loaded = 0
    for n in range(N_FILES):
        path = tmp_path / f"rules_{n}.toml"
        path.write_bytes(mutate(rng))
        try:
            rules = load_rules(path)
        except UserError as err:
            message = str(err)
            assert "\n" not in message and str(path) in message, message
            refused += 1
            continue
        coach_a_run(rules)
        loaded += 1
    assert refused >= N_FILES // 3 and loaded >= 10, (refused, loaded)  # the generator breaks most files


@pytest.mark.parametrize("line,field", [
    ('below = 1.5', 'below = "minus two"'),
    ('voice = "ribs_down.wav"', "voice = 7"),
    ('priority = 1', 'priority = "high"'),
])
def test_a_wrong_type_names_the_file_the_cue_and_the_field(tmp_path, line, field):
    path = tmp_path / "rules.toml"
    path.write_text(SHIPPED.replace(line, field, 1), encoding="utf-8")
    with pytest.raises(UserError) as err:
        load_rules(path)
    message = str(err.value)
    assert str(path) in message and "'ribs_down'" in message and field.split(" = ")[0] in message, message


def test_the_cli_refuses_such_files_in_one_line_before_any_work(tmp_path, clips_dir):
    for n, raw in enumerate([SHIPPED.replace("below = 1.5", 'below = "minus two"', 1).encode(),
                             b"\xff\xfe" + SHIPPED.encode("utf-16-le"),
                             SHIPPED.replace("after_strides = 8", "after_strides = -3").encode()]):
        path = tmp_path / f"bad_{n}.toml"
        path.write_bytes(raw)
        out = tmp_path / f"out_{n}"
        result = run_cli("analyze", clips_dir / "treadmill_side_left.mp4", "--rules", path, "--out", out)
        lines = user_lines(result.stderr)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert len(lines) == 1 and str(path) in lines[0], lines
        assert not out.exists()
