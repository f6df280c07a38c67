"""The lab's command line: `python -m lab render | suite | score | back`."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Sequence

from realtime.core.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    """The lab's subcommands."""
    parser = argparse.ArgumentParser(prog="python -m lab", description="The rendered-runner lab.")
    sub = parser.add_subparsers(dest="command", required=True)
    render = sub.add_parser("render", help="render one spec into DIR: clip.mp4, truth.json, masks.npz")
    render.add_argument("spec", help="a spec file (.toml or .json) or the name of a suite spec")
    render.add_argument("--out", type=Path, required=True, metavar="DIR")
    render.add_argument("--overwrite", action="store_true", help="replace a clip already in DIR")
    suite = sub.add_parser("suite", help="render the suite's specs into DIR/NAME (already rendered ones are kept)")
    suite.add_argument("--out", type=Path, metavar="DIR")
    suite.add_argument("--quick", action="store_true", help="the short CI subset")
    suite.add_argument("--only", help="comma-separated spec names")
    suite.add_argument("--jobs", type=int, default=1, help="clips rendered at once (processes, default 1)")
    suite.add_argument("--list", action="store_true", help="list the specs and stop")
    sub.add_parser("score", help="run ribsdown analyze on each clip in DIR and print the error table", add_help=False)
    sub.add_parser("back", help="the back's outline values against the truth, and each ribs_down way", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m lab`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["score"]:
        from lab import score

        return score.main(argv[1:])
    if argv[:1] == ["back"]:
        from lab import back

        return back.main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return command_render(args) if args.command == "render" else command_suite(args)
    except UserError as err:
        print(f"lab: {err}", file=sys.stderr)
        return 2


def resolve_spec(text: str):
    """A spec from a file path or a suite name."""
    from lab.spec import load_spec
    from lab.suite import by_name

    path = Path(text)
    if path.suffix in (".toml", ".json") or path.exists():
        return load_spec(path)
    specs = by_name()
    if text not in specs:
        raise UserError(f"no spec named {text!r} (and no such file); `python -m lab suite --list` lists them")
    return specs[text]


def command_render(args: argparse.Namespace) -> int:
    """Render one spec into --out."""
    spec = resolve_spec(args.spec)
    out: Path = args.out
    if (out / "clip.mp4").exists() and not args.overwrite:
        raise UserError(f"{out} already holds a clip; choose another --out or pass --overwrite")
    start = time.perf_counter()
    render_one(spec, out)
    print(f"{spec.name}: {spec.frames} frames in {time.perf_counter() - start:.1f} s → {out}")
    return 0


def render_one(spec, out: Path) -> float:
    """Render `spec` into `out` (a worker process's job); returns the seconds it took."""
    from lab.clip import render_clip

    start = time.perf_counter()
    render_clip(spec, out)
    return time.perf_counter() - start


def command_suite(args: argparse.Namespace) -> int:
    """Render the suite (or list it)."""
    from lab.suite import full, quick

    specs = quick() if args.quick else full()
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {s.name for s in specs}
        if unknown:
            raise UserError(f"no spec named {', '.join(sorted(unknown))} in this suite")
        specs = [s for s in specs if s.name in wanted]
    if args.list:
        for s in specs:
            print(f"{s.name:24s} {s.activity:8s} {s.duration_s:5.1f} s  {s.frames:5d} frames")
        return 0
    if args.out is None:
        raise UserError("suite needs --out DIR (or --list)")
    if args.jobs < 1:
        raise UserError(f"--jobs must be 1 or more, got {args.jobs}")
    todo = [s for s in specs if not already_rendered(s, args.out / s.name)]
    print(f"{len(specs) - len(todo)} of {len(specs)} clips already rendered in {args.out}; rendering {len(todo)}")
    start = time.perf_counter()
    frames = render_many(todo, args.out, args.jobs)
    wall = time.perf_counter() - start
    if todo:
        print(f"rendered {len(todo)} clips, {frames} frames in {wall:.0f} s ({frames / wall:.1f} frames/s, {args.jobs} job(s))")
    return 0


def already_rendered(spec, folder: Path) -> bool:
    """True when `folder` holds this very spec's finished clip; a different one is refused."""
    truth = folder / "truth.json"
    if not truth.is_file():
        if folder.exists():
            shutil.rmtree(folder)  # an interrupted render: only temporary files, ours
        return False
    try:
        stored = json.loads(truth.read_text())["spec"]
    except (ValueError, KeyError):
        stored = None
    if stored != json.loads(json.dumps(spec.as_dict())):
        raise UserError(f"{folder} holds another spec's clip; remove it or choose another --out")
    return True


def render_many(specs: list, out: Path, jobs: int) -> int:
    """Render specs into out/NAME, `jobs` at a time; returns the frames rendered."""
    from tqdm import tqdm

    total = sum(s.frames for s in specs)
    if jobs == 1:
        for s in tqdm(specs, desc="clips", unit="clip", disable=None):
            render_one(s, out / s.name)
        return total
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(render_one, s, out / s.name): s for s in specs}
        for future in tqdm(as_completed(futures), total=len(futures), desc="clips", unit="clip", disable=None):
            future.result()
    return total
