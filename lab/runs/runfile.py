"""The run file: saved runs as JSON, written strictly and read defensively.

A run file is what ``RunStore.export_json`` writes and ``import_json`` reads::

    {"format": "convergence-lab/runs", "version": 1, "runs": [record, ...]}

Each record holds the lab, name, tags, created_at, config (``to_dict()``), seed, package
versions, decision, artifacts, seconds and the history in columns: ``{"steps": [...],
"metrics": {name: [value | null, ...]}}`` (null where a step did not record the metric).
Non-finite values are the strings "nan", "inf" and "-inf", so the file is standard JSON.

Files come from users, so reading caps the size and the nesting depth before parsing,
refuses huge numbers and non-standard constants while parsing (nothing is executed, no
pickle), then checks every field's type and size and rebuilds each config through its
lab's ``from_dict`` (which validates). Any problem raises ValueError with a message for
the user; nothing is returned half-checked.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np

from lab.records import Step
from lab.stopping import Decision, Kind

FORMAT = "convergence-lab/runs"
VERSION = 1

MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 32
MAX_RUNS = 1000
MAX_STEPS = 1_000_000
MAX_METRICS = 256
MAX_NAME = 200
MAX_TAGS = 32
MAX_TAG = 64
MAX_TEXT = 4000
MAX_NUMBER_CHARS = 40

RECORD_KEYS = ("lab", "name", "tags", "created_at", "config", "seed", "versions", "decision", "artifacts", "seconds", "history")
OPTIONAL_KEYS = ("id",)


# ----------------------------------------------------------------------------- JSON-safe values

_DROP = object()


def summarize_artifacts(artifacts: Mapping[str, Any] | None, *, max_items: int = 1000, max_chars: int = 2000,
                        max_depth: int = 4) -> dict[str, Any]:
    """The artifacts a run store keeps, as plain JSON data: each entry that is small on its own.

    Kept: None, bools, ints, finite floats (non-finite become None), short strings, and dicts
    with string keys, lists, tuples, numpy/torch arrays and scalars of at most `max_items`
    elements in all, nested at most `max_depth` deep. Anything else (models, data frames, big
    arrays, long strings) is left out.
    """
    if not artifacts:
        return {}
    kept = {}
    for key, value in artifacts.items():
        if isinstance(key, str):
            safe = _safe(value, [max_items], max_chars, max_depth)
            if safe is not _DROP:
                kept[key] = safe
    return kept


def _safe(value: Any, budget: list[int], max_chars: int, depth: int) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else _DROP
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return value if len(value) <= max_chars else _DROP
    if isinstance(value, np.generic):
        return _safe(value.item(), budget, max_chars, depth)
    if hasattr(value, "to_dict") and hasattr(value, "from_dict") and not hasattr(value, "shape"):
        return _safe(value.to_dict(), budget, max_chars, depth)
    if hasattr(value, "shape") and hasattr(value, "tolist"):
        size = int(np.prod(value.shape)) if len(value.shape) else 1
        if size > budget[0]:
            return _DROP
        try:
            value = value.tolist()
        except (TypeError, ValueError, RuntimeError):
            return _DROP
        return _safe(value, budget, max_chars, depth)
    if depth <= 0:
        return _DROP
    if isinstance(value, Mapping):
        if len(value) > budget[0]:
            return _DROP
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                return _DROP
            budget[0] -= 1
            safe = _safe(v, budget, max_chars, depth - 1)
            if safe is not _DROP:
                out[k] = safe
        return out
    if isinstance(value, (list, tuple)):
        if len(value) > budget[0]:
            return _DROP
        budget[0] -= len(value)
        out_list = []
        for v in value:
            safe = _safe(v, budget, max_chars, depth - 1)
            if safe is _DROP:
                return _DROP
            out_list.append(safe)
        return out_list
    return _DROP


def encode_float(value: float) -> float | str:
    """A float as JSON allows it: non-finite values as "nan", "inf", "-inf"."""
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def decode_float(value: Any) -> float:
    if isinstance(value, str) and value in _NON_FINITE:
        return _NON_FINITE[value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(value)
    return float(value)


# ----------------------------------------------------------------------------- history columns


def history_columns(steps: list[Step]) -> dict[str, Any]:
    """Steps as JSON columns: step indices, and one list per metric (None where absent)."""
    names: dict[str, None] = {}
    for s in steps:
        for name in s.metrics:
            names.setdefault(name, None)
    metrics = {}
    for name in names:
        column = []
        for s in steps:
            v = s.metrics.get(name)
            column.append(None if v is None else encode_float(float(v)))
        metrics[name] = column
    return {"steps": [int(s.step) for s in steps], "metrics": metrics}


def steps_from_columns(history: Any, where: str) -> list[Step]:
    """The inverse of `history_columns`, checking types and lengths (ValueError naming `where`)."""
    if not isinstance(history, dict) or set(history) != {"steps", "metrics"}:
        raise ValueError(f"{where}: history must be an object with 'steps' and 'metrics'")
    indices, metrics = history["steps"], history["metrics"]
    if not isinstance(indices, list) or len(indices) > MAX_STEPS:
        raise ValueError(f"{where}: history.steps must be a list of at most {MAX_STEPS} step numbers")
    if any(isinstance(i, bool) or not isinstance(i, int) or abs(i) >= 2**53 for i in indices):
        raise ValueError(f"{where}: history.steps must hold whole numbers")
    if not isinstance(metrics, dict) or len(metrics) > MAX_METRICS:
        raise ValueError(f"{where}: history.metrics must be an object of at most {MAX_METRICS} metrics")
    n = len(indices)
    rows: list[dict[str, float]] = [{} for _ in range(n)]
    for name, column in metrics.items():
        if not name or len(name) > MAX_NAME:
            raise ValueError(f"{where}: metric name {name[:40]!r} is empty or too long")
        if not isinstance(column, list) or len(column) != n:
            raise ValueError(f"{where}: metric {name!r} must list one value per step ({n})")
        for row, value in zip(rows, column):
            if value is None:
                continue
            try:
                row[name] = decode_float(value)
            except TypeError:
                raise ValueError(f"{where}: metric {name!r} holds {str(value)[:40]!r}, not a number") from None
    return [Step(i, row) for i, row in zip(indices, rows)]


# ----------------------------------------------------------------------------- reading a file


def loads(data: bytes | str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """Parse untrusted JSON: capped in size and depth, finite numbers of sane length, no duplicates."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(f"the file is not valid JSON: expected the bytes of a JSON file, got {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_bytes:
        raise ValueError(f"the file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB")
    if not data.strip():
        raise ValueError("the file is empty")
    depth = nesting_depth(data)
    if depth > max_depth:
        raise ValueError(f"the file nests values {depth} deep; a run file needs at most {max_depth}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the file is not UTF-8 text") from None
    try:
        return json.loads(text, parse_int=_parse_int, parse_float=_parse_float,
                          parse_constant=_parse_constant, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise ValueError("the file nests values too deeply") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"the file is not valid JSON (truncated or damaged?): {exc.msg} at line {exc.lineno} column {exc.colno}") from None


#: A JSON string, or an unterminated one running to the end of the text. The possessive loop and
#: the end-of-text alternative mean every opening quote matches once and the scan never backtracks,
#: so stripping strings is linear (the older pattern retried from every quote of an unterminated
#: string: one '"' then 32,000 '\\"' took half a minute while holding the GIL).
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


def nesting_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in JSON text, ignoring brackets inside strings."""
    bare = _STRING.sub(b'""', data)
    steps = _OPEN[np.frombuffer(bare, dtype=np.uint8)]
    steps = steps[steps != 0]
    return int(np.cumsum(steps, dtype=np.int64).max()) if steps.size else 0


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_CHARS:
        raise ValueError(f"the number {text[:20]}... is too long")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"the number {text[:20]}... is too long")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text} is too large")
    return value


def _parse_constant(text: str) -> float:
    raise ValueError(f"the file is not valid JSON: {text} is not standard JSON "
                     "(non-finite values are written \"nan\", \"inf\", \"-inf\")")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        dupes = sorted({k for k, _ in pairs if k in seen or seen.add(k)})
        raise ValueError(f"the key(s) {', '.join(map(repr, dupes[:5]))} appear twice in one object")
    return out


def parse_file(data: bytes | str, *, max_bytes: int = MAX_BYTES) -> list[dict[str, Any]]:
    """Read a run file into checked records (with `steps` as Step lists and a validated `config_obj`)."""
    doc = loads(data, max_bytes=max_bytes)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"this is not a Convergence Lab run file (expected \"format\": \"{FORMAT}\")")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValueError("the run file has no version number")
    if version > VERSION:
        raise ValueError(f"the run file has version {version}, newer than this app reads ({VERSION}); update the app")
    if version < 1:
        raise ValueError(f"the run file has an unknown version {version}")
    unknown = sorted(set(doc) - {"format", "version", "runs"})
    if unknown:
        raise ValueError(f"the run file has unknown top-level key(s): {', '.join(unknown)}")
    runs = doc.get("runs")
    if not isinstance(runs, list):
        raise ValueError("the run file has no list of runs")
    if not runs:
        raise ValueError("the run file holds no runs")
    if len(runs) > MAX_RUNS:
        raise ValueError(f"the run file holds {len(runs)} runs; at most {MAX_RUNS} can be imported at once")
    return [check_record(raw, i) for i, raw in enumerate(runs)]


def _text(value: Any, what: str, limit: int, *, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text, not {type(value).__name__}")
    if len(value) > limit or (not empty and not value.strip()):
        raise ValueError(f"{what} must be 1 to {limit} characters")
    return value


def _int(value: Any, what: str, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2**63:
        raise ValueError(f"{what} must be a whole number")
    return value


def check_name(name: Any) -> str:
    """A run name, stripped: 1 to `MAX_NAME` characters (ValueError naming the value otherwise)."""
    if not isinstance(name, str):
        raise ValueError(f"name must be text, not {type(name).__name__}")
    stripped = name.strip()
    if not 1 <= len(stripped) <= MAX_NAME:
        raise ValueError(f"name={_preview(name)} has {len(stripped)} characters (blanks stripped); "
                         f"allowed: 1 to {MAX_NAME}")
    return stripped


def check_tags(tags: Any, what: str = "tags") -> tuple[str, ...]:
    """Tags as a tuple of distinct stripped strings: at most `MAX_TAGS`, each 1 to `MAX_TAG`
    characters (ValueError naming the tag, its length and the allowed range otherwise)."""
    if isinstance(tags, str) or not isinstance(tags, (list, tuple)):
        raise ValueError(f"{what} must be a list of texts")
    out: list[str] = []
    for tag in tags:
        if not isinstance(tag, str):
            raise ValueError(f"each of {what} must be text, not {type(tag).__name__}")
        stripped = tag.strip()
        if not 1 <= len(stripped) <= MAX_TAG:
            raise ValueError(f"the tag {_preview(tag)} has {len(stripped)} characters (blanks stripped); "
                             f"allowed: 1 to {MAX_TAG}")
        if stripped not in out:
            out.append(stripped)
        if len(out) > MAX_TAGS:
            raise ValueError(f"{what}: more than {MAX_TAGS} distinct tags given; allowed: at most {MAX_TAGS}")
    return tuple(out)


def _preview(text: str) -> str:
    """A text for a message: quoted, cut to 40 characters."""
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "..."


def check_record(raw: Any, index: int) -> dict[str, Any]:
    """One run record checked and normalised; the messages name the run."""
    where = f"run {index + 1}"
    if not isinstance(raw, dict):
        raise ValueError(f"{where} is not an object")
    if isinstance(raw.get("name"), str) and raw["name"].strip():
        where = f"run {index + 1} ({raw['name'][:MAX_NAME]!r})"
    missing = [k for k in RECORD_KEYS if k not in raw]
    unknown = sorted(set(raw) - set(RECORD_KEYS) - set(OPTIONAL_KEYS))
    if missing or unknown:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + ([f"unknown {', '.join(unknown)}"] if unknown else [])
        raise ValueError(f"{where} does not match the run format: {'; '.join(parts)}")
    try:
        name = check_name(raw["name"])
        lab = _text(raw["lab"], "lab", 64)
        tags = check_tags(raw["tags"])
        created_at = _timestamp(raw["created_at"])
        seed = _int(raw["seed"], "seed", optional=True)
        versions = raw["versions"]
        if not isinstance(versions, dict) or len(versions) > 32 or not all(
            isinstance(k, str) and isinstance(v, str) and len(k) <= 64 and len(v) <= 64 for k, v in versions.items()
        ):
            raise ValueError("versions must map package names to version texts")
        seconds = raw["seconds"]
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < 1e9:
            raise ValueError("seconds must be a number of seconds")
        decision = _decision(raw["decision"])
        if not isinstance(raw["artifacts"], dict):
            raise ValueError("artifacts must be an object")
        artifacts = summarize_artifacts(raw["artifacts"])
        if not isinstance(raw["config"], dict):
            raise ValueError("config must be an object")
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    steps = steps_from_columns(raw["history"], where)
    from lab import experiments

    try:
        config = experiments.config_from_dict(lab, raw["config"])
    except ValueError as exc:
        raise ValueError(f"{where}: the config does not validate: {exc}") from None
    except (TypeError, ImportError, AttributeError, KeyError) as exc:
        raise ValueError(f"{where}: the config does not validate ({type(exc).__name__}: {str(exc)[:200]})") from None
    return {
        "lab": lab, "name": name, "tags": tags, "created_at": created_at, "config": config.to_dict(),
        "config_obj": config, "seed": seed, "versions": dict(versions), "decision": decision,
        "artifacts": artifacts, "seconds": float(seconds), "steps": steps,
    }


def _timestamp(value: Any) -> str:
    text = _text(value, "created_at", 40)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"created_at={text!r} is not an ISO date and time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    except OverflowError:
        raise ValueError(f"created_at={text!r} is out of range: in UTC it must fall in the years 1 to 9999") from None


def _decision(raw: Any) -> Decision:
    """A record's decision. Files of older versions also hold a ``stop`` flag (read and dropped:
    every decision stops the run) and kinds under their old names ("max_steps")."""
    if not isinstance(raw, dict) or set(raw) - {"stop", "kind", "reason", "step", "best_step"} or not {"kind", "reason", "step"} <= set(raw):
        raise ValueError("decision must be an object with kind, reason, step (and best_step)")
    if not isinstance(raw.get("stop", True), bool):
        raise ValueError("decision.stop must be true or false")
    try:
        kind = Kind.parse(raw["kind"])
    except ValueError as exc:
        raise ValueError(f"decision {exc}") from None
    reason = _text(raw["reason"], "decision.reason", MAX_TEXT, empty=True)
    step = _int(raw["step"], "decision.step")
    best_step = _int(raw.get("best_step"), "decision.best_step", optional=True)
    return Decision(kind, reason, step, best_step)


def decision_dict(decision: Decision) -> dict[str, Any]:
    return {"kind": decision.kind.value, "reason": decision.reason,
            "step": int(decision.step), "best_step": None if decision.best_step is None else int(decision.best_step)}


def dumps(records: list[dict[str, Any]]) -> bytes:
    """A run file from records (already JSON data); strict JSON (no NaN literals)."""
    doc = {"format": FORMAT, "version": VERSION, "runs": records}
    return json.dumps(doc, allow_nan=False, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
