"""The command line: run a lab headless, and list, show, export or import saved runs.

    python -m lab run descent lr=0.05 optimizer=adam schedule.name=cosine --json run.json
    python -m lab runs list --lab descent
    python -m lab runs show 3f9a0c1b2d4e
    python -m lab runs export --format csv --out runs.csv
    python -m lab sweep create --study s1 --lab descent --param lr=float:1e-3:1:log --trials 20
    python -m lab sweep worker --study s1

Settings are ``field=value`` in the same text form as the app's URLs (`lab.share`), so a
value parses by its field's type and a bad one is refused with the field's own message.
"""

from __future__ import annotations

import argparse
import inspect
import math
import shutil
import signal
import stat
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from lab import budget, experiments
from lab.cli.settings import catch_interrupt, parse_settings, within_limit
from lab.records import Kind
from lab.share import short, to_query

EXIT_USAGE = 2


class ProgressBar:
    """A one-line text progress bar on stderr, redrawn at most every `every` seconds.

    On a terminal it redraws in place; elsewhere (logs, pipes) it prints a line at each
    tenth of the budget, so captured output stays short.
    """

    def __init__(self, total: int | None, stream: TextIO | None = None, *, width: int = 30, every: float = 0.1,
                 metrics: int = 2) -> None:
        self.total = total if total and total > 0 else None
        self.stream = sys.stderr if stream is None else stream
        self.width, self.every, self.metrics = width, every, metrics
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.count = 0
        self.last_step: Any = None
        self._last_draw = 0.0
        self._next_tenth = 1
        self._started = time.perf_counter()
        self._drawn = False

    def __call__(self, step: Any) -> None:
        self.count += 1
        self.last_step = step
        if self.interactive:
            now = time.perf_counter()
            if now - self._last_draw >= self.every:
                self._last_draw = now
                self._draw("\r")
        elif self.total and self.count * 10 >= self._next_tenth * self.total:
            while self.count * 10 >= self._next_tenth * self.total:
                self._next_tenth += 1
            self._draw("", end="\n")

    def line(self) -> str:
        if self.total:
            done = min(self.count / self.total, 1.0)
            filled = int(round(done * self.width))
            bar = f"[{'#' * filled}{'.' * (self.width - filled)}] {self.count}/{self.total}"
        else:
            bar = f"{self.count} steps"
        if self.last_step is not None:
            shown = list(self.last_step.metrics.items())[: self.metrics]
            bar += "  " + "  ".join(f"{k}={v:.4g}" for k, v in shown)
        bar += f"  {time.perf_counter() - self._started:.1f}s"
        return bar

    def _draw(self, prefix: str, end: str = "") -> None:
        text = self.line()
        if self.interactive:
            columns = shutil.get_terminal_size((100, 20)).columns
            text = text[: columns - 1].ljust(columns - 1)
        self.stream.write(prefix + text + end)
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Draw the final state and end the line."""
        if self.interactive:
            self._draw("\r", end="\n")
        elif not self._drawn or (self.total and self._next_tenth <= 10):
            self._draw("", end="\n")


# ----------------------------------------------------------------------------- help text


def _field_lines(cls: type, prefix: str = "") -> list[str]:
    import dataclasses
    import typing

    from lab.config import Config

    defaults = to_query(cls())
    hints = typing.get_type_hints(cls)
    docs = cls.field_docs()
    lines = []
    for f in dataclasses.fields(cls):
        key = prefix + f.name
        hint = hints[f.name]
        nested = getattr(cls(), f.name)
        if isinstance(nested, Config) and isinstance(hint, type):
            lines.append(f"    {key}.*  {docs[f.name]}")
            lines += _field_lines(type(nested), key + ".")
            continue
        default = defaults.get(f.name, "")
        lines.append(f"    {key}={default}".ljust(34) + f"  {docs[f.name]}")
    return lines


def labs_help() -> str:
    """Every lab's settings with defaults and one-line help, from the config dataclasses."""
    parts = ["labs and their settings (field=default  description):"]
    for lab in sorted(experiments.LABS):
        try:
            cls = experiments.config_class(lab)
        except (ImportError, AttributeError) as exc:
            parts.append(f"\n  {lab}: (not available here: {type(exc).__name__}: {exc})")
            continue
        parts.append(f"\n  {lab}  ({cls.__name__})")
        parts += _field_lines(cls)
    parts.append("\nValues: numbers as written, booleans 1/0, lists comma-separated (16,8), nothing for none.")
    return "\n".join(parts)


# ----------------------------------------------------------------------------- the parser


def _store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workspace", default="local", help="workspace the runs belong to (default: local)")
    parser.add_argument("--db", default=None,
                        help="run store file or postgresql:// URL (default: $CONVERGENCE_LAB_DB, Streamlit secrets, or the per-user data folder)")


def build_parser(*, lab_help: bool = True) -> argparse.ArgumentParser:
    """The argument parser; `lab_help` adds every lab's settings to ``run --help`` (imports every lab)."""
    parser = argparse.ArgumentParser(prog="python -m lab", description="Convergence Lab without the app: run labs, manage saved runs, sweep settings.",
                                     epilog="'python -m lab run --help' lists every lab's settings.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a lab headless and save it", description="Run a lab with a progress bar, print the "
                         "decision and final metrics, and save the run.", epilog=labs_help() if lab_help else None,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("lab", help="which lab: " + ", ".join(sorted(experiments.LABS)))
    run.add_argument("settings", nargs="*", metavar="field=value", help="settings that differ from the defaults")
    run.add_argument("--json", type=Path, metavar="PATH", help="also write the run to PATH as a run file (JSON)")
    run.add_argument("--name", help="name of the saved run (default: made from the settings)")
    run.add_argument("--tag", action="append", default=[], help="a tag for the saved run (repeatable)")
    run.add_argument("--data", type=Path, metavar="CSV", help="a CSV for labs that train on your own data (as the app's upload)")
    run.add_argument("--no-save", action="store_true", help="do not save the run in the store")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--no-limit", action="store_true", help="run even past the lab's work limit (see README, the work budget)")
    _store_options(run)

    runs = sub.add_parser("runs", help="list, show, export, import or delete saved runs")
    runs_sub = runs.add_subparsers(dest="action", required=True)
    listing = runs_sub.add_parser("list", help="the saved runs, newest first")
    listing.add_argument("--lab")
    listing.add_argument("--tag")
    listing.add_argument("--kind", help=f"decision kind: {', '.join(Kind)}")
    _store_options(listing)
    show = runs_sub.add_parser("show", help="one run in detail")
    show.add_argument("id")
    _store_options(show)
    export = runs_sub.add_parser("export", help="write runs (all, or the given ids) to a file")
    export.add_argument("ids", nargs="*")
    export.add_argument("--format", choices=("json", "csv"), default="json")
    export.add_argument("--out", type=Path, required=True, metavar="PATH")
    _store_options(export)
    importing = runs_sub.add_parser("import", help="import a run file (JSON)")
    importing.add_argument("path", type=Path)
    _store_options(importing)
    delete = runs_sub.add_parser("delete", help="delete runs")
    delete.add_argument("ids", nargs="+")
    _store_options(delete)

    from lab.cli.sweep import add_parser as add_sweep_parser

    add_sweep_parser(sub, _store_options)
    return parser


# ----------------------------------------------------------------------------- commands


def _open_store(args: argparse.Namespace):
    from lab.runs.store import RunStore, check_workspace

    check_workspace(args.workspace)
    return RunStore(args.db)


def _cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import lab
    from lab.runs import runfile
    from lab.runs.store import check_workspace, unsaved_run

    cls = experiments.config_class(args.lab)
    config = parse_settings(cls, args.settings)
    within_limit(budget.excess(config), args.no_limit)
    check_workspace(args.workspace)
    data = None
    if args.data is not None:
        from lab.uploads import MAX_BYTES, read_numeric_csv

        if "data" not in inspect.signature(config.experiment).parameters:
            raise ValueError(f"--data: the {args.lab} lab trains on data of its own and takes no CSV")
        data, notes = read_numeric_csv(read_file(args.data, MAX_BYTES))
        for note in notes:
            print(f"note: {note}", file=err)
    store = None if args.no_save else _open_store(args)
    bar = None if args.quiet else ProgressBar(getattr(config, "budget", None), err)
    cancel = threading.Event()
    previous = catch_interrupt(cancel, err)
    try:
        result = lab.run(config, data=data, on_step=bar, cancel=cancel)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        if bar is not None:
            bar.close()
    decision = result.decision
    print(f"decision: {decision.kind}: {decision.reason}", file=out)
    final = unsaved_run(args.lab, result).final()
    print("final:    " + ("  ".join(f"{k}={_number(v)}" for k, v in final.items()) or "(no steps)"), file=out)
    print(f"steps:    {len(result.steps)} in {result.seconds:.2f} s", file=out)
    if args.json:
        args.json.write_bytes(runfile.dumps([unsaved_run(args.lab, result, args.name, args.tag).to_record()]))
        print(f"written:  {args.json}", file=out)
    if store is not None:
        try:
            run_id = store.save(args.workspace, args.lab, result, name=args.name, tags=args.tag)
        except ValueError as exc:
            kept = f"; the run is in {args.json}" if args.json else "; rerun with --json PATH to keep it in a file"
            print(f"error: the run was not saved: {exc}{kept}", file=err)
            return 1
        print(f"saved:    {run_id} in workspace {args.workspace!r} ({store.where})", file=out)
    return 0


def read_file(path: Path, max_bytes: int) -> bytes:
    """A regular file's bytes, refused above `max_bytes`. The type is checked before opening, so a
    named pipe (which would block) or a device such as /dev/zero (which never ends) is refused at once."""
    try:
        info = path.stat()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{path} is not a regular file (a folder, pipe or device); give a file")
    if info.st_size > max_bytes:
        raise ValueError(f"{path} is {info.st_size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB")
    with path.open("rb") as file:
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"{path} is over {max_bytes / 1e6:.0f} MB; the limit is {max_bytes / 1e6:.0f} MB")
    return data


def _number(value: float) -> str:
    return f"{value:.6g}" if math.isfinite(value) else str(value)


def _cmd_runs(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    store = _open_store(args)
    ws = args.workspace
    if args.action == "list":
        runs = store.list(ws, lab=args.lab, tag=args.tag, decision_kind=args.kind)
        if not runs:
            print(f"no saved runs in workspace {ws!r} ({store.where})", file=out)
            return 0
        print(f"{'id':12}  {'created (UTC)':16}  {'lab':10}  {'decision':10}  {'steps':>7}  name", file=out)
        for r in runs:
            tags = f"  [{', '.join(r.tags)}]" if r.tags else ""
            print(f"{r.id:12}  {r.created_at[:16].replace('T', ' '):16}  {r.lab:10}  {r.decision_kind:10}  "
                  f"{r.n_steps:>7}  {r.name}{tags}", file=out)
        return 0
    if args.action == "show":
        run = store.get(ws, args.id)
        print(f"{run.name}  ({run.id}, lab {run.lab}, saved {run.created_at})", file=out)
        if run.tags:
            print(f"tags:      {', '.join(run.tags)}", file=out)
        print(f"decision:  {run.decision.kind}: {run.decision.reason}", file=out)
        print(f"steps:     {len(run.steps)} in {run.seconds:.2f} s", file=out)
        print("final:     " + "  ".join(f"{k}={_number(v)}" for k, v in run.final().items()), file=out)
        print("settings:", file=out)
        from lab.share import flatten

        flat = flatten(run.config)
        for key, value in flat.items():
            if any(k.startswith(key + ".") for k in flat):
                continue
            print(f"  {key}={short(value) if isinstance(value, (list, tuple)) else value}", file=out)
        print("versions:  " + "  ".join(f"{k} {v}" for k, v in run.versions.items()), file=out)
        if run.artifacts:
            print(f"artifacts: {', '.join(run.artifacts)}", file=out)
        return 0
    if args.action == "export":
        ids = args.ids or None
        data = store.export_json(ws, ids) if args.format == "json" else store.export_csv(ws, ids)
        args.out.write_bytes(data)
        count = len(args.ids) if args.ids else store.count(ws)
        print(f"wrote {count} run(s) to {args.out} ({args.format})", file=out)
        return 0
    if args.action == "import":
        from lab.runs.runfile import MAX_BYTES

        ids = store.import_json(ws, read_file(args.path, MAX_BYTES))
        print(f"imported {len(ids)} run(s) into workspace {ws!r}: {' '.join(ids)}", file=out)
        return 0
    if args.action == "delete":
        missing = [run_id for run_id in args.ids if not store.delete(ws, run_id)]
        for run_id in missing:
            print(f"no run {run_id!r} in workspace {ws!r}", file=err)
        return 1 if missing else 0
    raise AssertionError(args.action)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 failed, 2 bad usage)."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(lab_help="-h" in argv or "--help" in argv)
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return _cmd_run(args, out, err)
        if args.command == "sweep":
            from lab.cli.sweep import run as run_sweep_command

            return run_sweep_command(args, out, err)
        return _cmd_runs(args, out, err)
    except ValueError as exc:
        for line in str(exc).splitlines() or [""]:
            print(f"error: {line}", file=err)
        return EXIT_USAGE if args.command == "run" else 1
    except KeyError as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=err)
        return 1
    except OSError as exc:
        print(f"error: {exc}", file=err)
        return 1
