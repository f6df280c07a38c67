"""Every command's --help ends with examples, and every example parses with the real parser."""

from __future__ import annotations

import shlex

import pytest

from realtime.apps.cli import build_parser
from realtime.apps.examples import EXAMPLES
from tests.cli import run_cli


def example_commands(name: str) -> list[list[str]]:
    """The example command lines of `name` (the text before the two-space gap), as argv."""
    lines = [line.strip().split("  ", 1)[0] for line in EXAMPLES[name].splitlines()]
    return [shlex.split(line)[1:] for line in lines]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_examples_parse(name):
    commands = example_commands(name)
    assert 2 <= len(commands) <= 4
    for argv in commands:
        args = build_parser().parse_args(argv)
        assert name == "ribsdown" or args.command == name, argv


@pytest.mark.parametrize("command", ["run", "analyze", "demo", "history"])
def test_help_shows_the_examples(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0
    assert "examples:\n  ribsdown " + command in result.stdout
