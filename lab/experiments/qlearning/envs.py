"""Which Gymnasium toy-text environments the Q-learning lab supports, and how to build them.

An `EnvKey` names one concrete MDP (environment id, map rows, slipperiness, step limit); it is
hashable so the transition table and value iteration are computed once per key. Random
FrozenLake maps are drawn the way ``gymnasium``'s ``generate_random_map`` draws them (same
seed, same map), but with a cap on redraws so a map that can hardly have a path is refused
instead of looping forever.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gymnasium.envs.toy_text.frozen_lake import MAPS, is_valid
from gymnasium.utils import seeding

SUPPORTED = ("FrozenLake-v1", "Taxi-v4", "CliffWalking-v1")
MAP_NAMES = ("4x4", "8x8", "random", "custom")
CLIFF_DEFAULT_LIMIT = 200
MAX_REDRAWS = 1000


@dataclass(frozen=True)
class EnvKey:
    """One concrete MDP: `desc` holds FrozenLake's map rows (empty for Taxi and CliffWalking)."""

    env_id: str
    desc: tuple[str, ...] = ()
    is_slippery: bool = False
    max_steps: int = 100


def check_env_id(env_id: Any) -> None:
    if env_id not in SUPPORTED:
        raise ValueError(f"env={env_id!r} is not supported; choose one of {', '.join(SUPPORTED)}")


def random_map(size: int, p: float, seed: int) -> tuple[str, ...]:
    """A FrozenLake map with a path from S to G, equal to ``generate_random_map(size, p, seed)``.

    Gymnasium redraws until the map is valid, for ever if it has to; here the redraws stop
    after `MAX_REDRAWS` and a ValueError says so.
    """
    if size < 2:
        raise ValueError(f"map_size={size!r} is too small: a map needs at least 2x2 cells to hold S and G apart")
    np_random, _ = seeding.np_random(seed)
    for _ in range(MAX_REDRAWS):
        board = np_random.choice(["F", "H"], (size, size), p=[min(1, p), 1 - min(1, p)])
        board[0][0] = "S"
        board[-1][-1] = "G"
        if is_valid(board, size):
            return tuple("".join(row) for row in board)
    raise ValueError(
        f"map_p={p!r}: no {size}x{size} map with a path from S to G in {MAX_REDRAWS} draws; "
        "raise map_p (the share of frozen cells) or shrink map_size"
    )


def check_desc(desc: Sequence[str]) -> None:
    """Raise ValueError (naming `desc`) unless the rows form a FrozenLake map with a path from S to G."""
    if not isinstance(desc, tuple) or not desc or not all(isinstance(r, str) and r for r in desc):
        raise ValueError(f"desc={desc!r} is not allowed; give a tuple of map rows such as ('SF', 'FG')")
    width = len(desc[0])
    if any(len(r) != width for r in desc):
        raise ValueError(f"desc={desc!r}: all rows must have the same length")
    cells = "".join(desc)
    if set(cells) - set("SFHG"):
        raise ValueError(f"desc={desc!r}: cells must be S (start), F (frozen), H (hole) or G (goal)")
    if cells.count("S") != 1 or "G" not in cells:
        raise ValueError(f"desc={desc!r}: a map needs exactly one S and at least one G")
    if not _has_path(desc):
        raise ValueError(f"desc={desc!r}: there is no path from S to a G that avoids the holes")


def _has_path(desc: Sequence[str]) -> bool:
    rows, cols = len(desc), len(desc[0])
    start = next((r, c) for r in range(rows) for c in range(cols) if desc[r][c] == "S")
    seen, frontier = {start}, [start]
    while frontier:
        r, c = frontier.pop()
        for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
            if 0 <= nr < rows and 0 <= nc < cols and (nr, nc) not in seen:
                if desc[nr][nc] == "G":
                    return True
                if desc[nr][nc] != "H":
                    seen.add((nr, nc))
                    frontier.append((nr, nc))
    return False


def frozen_lake_desc(map_name: str, map_size: int, map_p: float, map_seed: int, desc: tuple[str, ...] | None) -> tuple[str, ...]:
    """The map rows a FrozenLake config asks for."""
    if map_name == "custom":
        if desc is None:
            raise ValueError("desc=None: map_name='custom' needs desc, the map rows")
        check_desc(desc)
        return desc
    if map_name == "random":
        return random_map(map_size, map_p, map_seed)
    return tuple(MAPS[map_name])


def default_limit(env_id: str) -> int:
    """The env's own step limit (its TimeLimit); CliffWalking has none, so the lab gives it one."""
    import gymnasium as gym

    limit = gym.spec(env_id).max_episode_steps
    return CLIFF_DEFAULT_LIMIT if limit is None else int(limit)


def reward_threshold(env_id: str) -> float | None:
    """The return at which the env's spec calls the task solved (None for CliffWalking)."""
    import gymnasium as gym

    threshold = gym.spec(env_id).reward_threshold
    return None if threshold is None else float(threshold)


def make(key: EnvKey, **kwargs: Any) -> Any:
    """The real Gymnasium environment for `key`, with its TimeLimit at `key.max_steps`."""
    import gymnasium as gym

    check_env_id(key.env_id)
    extra: dict[str, Any] = {}
    if key.env_id == "FrozenLake-v1":
        extra = {"desc": list(key.desc), "is_slippery": key.is_slippery}
    return gym.make(key.env_id, max_episode_steps=key.max_steps, disable_env_checker=True, **extra, **kwargs)


def grid_info(key: EnvKey) -> dict[str, Any]:
    """What a page needs to draw the grid: shape, map rows, start, goal(s), holes, cliff cells.

    Cells are (row, col) tuples; states of the grid worlds are ``row * cols + col``. Taxi's
    state also encodes the passenger and the destination, so its grid is the 5x5 road map.
    """
    if key.env_id == "FrozenLake-v1":
        desc = key.desc
        cells = [(r, c, ch) for r, row in enumerate(desc) for c, ch in enumerate(row)]
        return {
            "shape": (len(desc), len(desc[0])),
            "desc": list(desc),
            "start": [(r, c) for r, c, ch in cells if ch == "S"][0],
            "goal": [(r, c) for r, c, ch in cells if ch == "G"],
            "holes": [(r, c) for r, c, ch in cells if ch == "H"],
            "cliff": [],
        }
    if key.env_id == "CliffWalking-v1":
        return {
            "shape": (4, 12), "desc": [], "start": (3, 0), "goal": [(3, 11)],
            "holes": [], "cliff": [(3, c) for c in range(1, 11)],
        }
    from gymnasium.envs.toy_text.taxi import MAP

    return {
        "shape": (5, 5), "desc": list(MAP), "start": None,
        "goal": [(0, 0), (0, 4), (4, 0), (4, 3)], "holes": [], "cliff": [],
    }
