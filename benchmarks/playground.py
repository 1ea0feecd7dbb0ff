"""Playground lab speed: the default run to its decision, and epochs/s against the torch loop a user would write.

The peer is the plain ``nn.Sequential`` + ``DataLoader(TensorDataset)`` loop on the same data, network
(2 inputs, two tanh layers of 4, one logit), Adam at lr 0.03, batches of 10, BCE, with the same per-epoch
evaluation (train and test loss and accuracy), one torch thread. Both run a fixed number of epochs;
medians over seeds, interleaved so the machine's load falls alike on both, ratios from this run. The
time one live redraw's charts take to build (surface, diagram, neuron maps, curves) is reported beside.

    python benchmarks/playground.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

import lab  # noqa: E402
from lab.experiments.playground import DEFAULT_VIEW, PlaygroundConfig  # noqa: E402
from lab.experiments.playground.data import load  # noqa: E402

SEEDS = range(5)
EPOCHS = 60


def dataloader_loop(config: PlaygroundConfig) -> tuple[float, float]:
    """The textbook loop: seconds per epoch and final test accuracy."""
    torch.manual_seed(config.seed)
    p = load(config.dataset, config.points, config.noise, config.test_ratio, config.seed)
    t = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    X_train, y_train, X_test, y_test = map(t, (p.X_train, p.y_train, p.X_test, p.y_test))
    layers, width = [], 2
    for units in config.hidden:
        layers += [torch.nn.Linear(width, units), torch.nn.Tanh()]
        width = units
    model = torch.nn.Sequential(*layers, torch.nn.Linear(width, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=config.batch_size, shuffle=True)
    start = time.perf_counter()
    for _ in range(config.epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb).squeeze(1), yb)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            for X, y in ((X_train, y_train), (X_test, y_test)):
                z = model(X).squeeze(1)
                loss_fn(z, y).item(), ((z > 0).float() == y).float().mean().item()
    seconds = (time.perf_counter() - start) / config.epochs
    with torch.no_grad():
        accuracy = ((model(X_test).squeeze(1) > 0).float() == y_test).float().mean().item()
    return seconds, accuracy


def lab_loop(config: PlaygroundConfig) -> tuple[float, float]:
    """Seconds per epoch (first to last epoch, setup left out as in the peer) and test accuracy."""
    stamps: list[float] = []
    result = lab.run(config, on_step=lambda step: stamps.append(time.perf_counter()))
    return (stamps[-1] - stamps[0]) / (len(stamps) - 1), result.artifacts["test"]["accuracy"]


def redraw_seconds() -> float:
    """Building one live redraw's charts as the page does while training (no decision yet), median of 5."""
    from lab.records import RunResult
    from lab.ui import playground_views as views

    done = lab.run(DEFAULT_VIEW.replace(epochs=20))
    frame = list(done.artifacts["frames"].values())[-1]
    features = done.artifacts["features"]
    result = RunResult(done.config, done.steps, None, {"points": done.artifacts["points"]})  # type: ignore[arg-type]
    times = []
    for _ in range(5):
        start = time.perf_counter()
        charts = [views.surface_chart(frame, result, False), views.diagram_chart(frame, features), views.neuron_chart(frame, features),
                  *views.curves(result)]
        for chart in charts:
            chart.to_dict(validate=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    torch.set_num_threads(1)
    config = DEFAULT_VIEW.replace(epochs=EPOCHS, stopping=DEFAULT_VIEW.stopping.replace(enabled=False))
    lab.run(config.replace(epochs=2))
    dataloader_loop(config.replace(epochs=2))
    ours, peer = [], []
    for seed in SEEDS:
        ours.append(lab_loop(config.replace(seed=seed)))
        peer.append(dataloader_loop(config.replace(seed=seed)))
    ours_s, peer_s = statistics.median(s for s, _ in ours), statistics.median(s for s, _ in peer)
    ratios = [p / o for (o, _), (p, _) in zip(ours, peer)]
    print(f"playground, default network {config.hidden} tanh, Adam lr {config.lr}, batch {config.batch_size}, "
          f"{config.points} points, {EPOCHS} epochs, {len(SEEDS)} seeds, 1 thread")
    print(f"  lab numpy engine : {1 / ours_s:7.1f} epochs/s  median test accuracy {statistics.median(a for _, a in ours):.4f}")
    print(f"  DataLoader loop  : {1 / peer_s:7.1f} epochs/s  median test accuracy {statistics.median(a for _, a in peer):.4f}")
    print(f"  speed-up         : {peer_s / ours_s:.2f}x from the medians; median of paired ratios {statistics.median(ratios):.2f}x "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f}; target >= 5x)")
    decisions = []
    for seed in SEEDS:
        start = time.perf_counter()
        result = lab.run(DEFAULT_VIEW.replace(seed=seed))
        decisions.append((time.perf_counter() - start, len(result.steps)))
    print(f"  default run to its decision: median {statistics.median(s for s, _ in decisions):.2f} s "
          f"({statistics.median(n for _, n in decisions)} epochs; target <= 1.5 s with redraws)")
    draw = redraw_seconds()
    print(f"  one live redraw's charts: {draw * 1000:.0f} ms to build (the runner redraws every 0.25 s plus this: "
          f"{1 / (0.25 + draw):.1f} redraws/s)")


if __name__ == "__main__":
    main()
