"""Classifier lab speed against the loop a user would otherwise write (TensorDataset + DataLoader).

Both train the same MLP (same layers, same init distribution, Adam, batch 32, one thread) for the
same number of epochs, with the same per-epoch evaluation (train and val loss and accuracy);
medians over seeds, ratios from this run. Also: the same engine without its flat parameter
buffer, the numpy engine, fused against plain Adam, and the default config's time to its
stopping decision.

    python benchmarks/classifier.py
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
from lab.experiments.classifier import ClassifierConfig, split_data  # noqa: E402
from lab.stopping.config import StoppingConfig  # noqa: E402
from lab.torch_training import TorchTrainer  # noqa: E402

SEEDS = range(5)
EPOCHS = 60
ROUNDS = 2


def dataloader_loop(config: ClassifierConfig) -> tuple[float, float]:
    """The textbook loop: seconds per epoch and final test accuracy."""
    torch.manual_seed(config.seed)
    d = split_data(config.seed, config.standardize)
    t = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    X_train, y_train, X_val, y_val, X_test, y_test = map(t, (d.X_train, d.y_train, d.X_val, d.y_val, d.X_test, d.y_test))
    layers, width = [], X_train.shape[1]
    for units in config.hidden:
        layers += [torch.nn.Linear(width, units), torch.nn.ReLU()]
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
            history = {}
            for name, X, y in (("train", X_train, y_train), ("val", X_val, y_val)):
                z = model(X).squeeze(1)
                history[f"{name}/loss"] = loss_fn(z, y).item()
                history[f"{name}/accuracy"] = ((z > 0).float() == y).float().mean().item()
    seconds = (time.perf_counter() - start) / config.epochs
    with torch.no_grad():
        accuracy = ((model(X_test).squeeze(1) > 0).float() == y_test).float().mean().item()
    return seconds, accuracy


def lab_loop(config: ClassifierConfig) -> tuple[float, float]:
    """Seconds per epoch (first to last epoch, so setup is left out as in the peer) and test accuracy."""
    stamps: list[float] = []
    result = lab.run(config, on_step=lambda step: stamps.append(time.perf_counter()))
    return (stamps[-1] - stamps[0]) / (len(stamps) - 1), result.artifacts["test"]["accuracy"]


def adam_step_seconds(fused: bool) -> float:
    model = torch.nn.Sequential(torch.nn.Linear(30, 16), torch.nn.ReLU(), torch.nn.Linear(16, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=fused)
    for p in model.parameters():
        p.grad = torch.randn_like(p)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(2000):
            optimizer.step()
        times.append((time.perf_counter() - start) / 2000)
    return statistics.median(times)


def main() -> None:
    torch.set_num_threads(1)
    config = ClassifierConfig(stopping=StoppingConfig(), epochs=EPOCHS)
    lab.run(config.replace(epochs=2))
    dataloader_loop(config.replace(epochs=2))
    ours, per_tensor, peer = [], [], []
    for _ in range(ROUNDS):
        for seed in SEEDS:  # interleaved, so that the machine's load falls alike on all three
            ours.append(lab_loop(config.replace(seed=seed)))
            TorchTrainer.flat = False  # torch's one tensor per layer
            per_tensor.append(lab_loop(config.replace(seed=seed)))
            TorchTrainer.flat = True
            peer.append(dataloader_loop(config.replace(seed=seed)))
    ours_s = statistics.median(s for s, _ in ours)
    peer_s = statistics.median(s for s, _ in peer)
    ratios = [p / o for (o, _), (p, _) in zip(ours, peer)]
    print(f"classifier, default MLP {config.hidden}, Adam lr {config.lr}, batch {config.batch_size}, {EPOCHS} epochs, {len(SEEDS)} seeds x {ROUNDS} rounds, 1 thread")
    print(f"  lab torch engine   : {1 / ours_s:7.1f} epochs/s  median test accuracy {statistics.median(a for _, a in ours):.4f}")
    print(f"  DataLoader loop    : {1 / peer_s:7.1f} epochs/s  median test accuracy {statistics.median(a for _, a in peer):.4f}")
    print(f"  speed-up           : {peer_s / ours_s:.2f}x from the medians; median of paired ratios {statistics.median(ratios):.2f}x "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f}; target >= 2x)")

    per_tensor_s = statistics.median(s for s, _ in per_tensor)
    print(f"  same, per-tensor   : {1 / per_tensor_s:7.1f} epochs/s  median test accuracy "
          f"{statistics.median(a for _, a in per_tensor):.4f} (no flat buffer): {peer_s / per_tensor_s:.2f}x the DataLoader loop; "
          f"flat / per-tensor paired {statistics.median(p / o for (o, _), (p, _) in zip(ours, per_tensor)):.2f}x")

    numpy_runs = [lab_loop(config.replace(engine="numpy", seed=seed)) for seed in SEEDS]
    numpy_s = statistics.median(s for s, _ in numpy_runs)
    print(f"  lab numpy engine   : {1 / numpy_s:7.1f} epochs/s  median test accuracy "
          f"{statistics.median(a for _, a in numpy_runs):.4f} (float64, hand-written backprop): "
          f"{peer_s / numpy_s:.2f}x the DataLoader loop")

    fused, plain = adam_step_seconds(True), adam_step_seconds(False)
    print(f"  Adam step, fused {fused * 1e6:.1f} us vs default {plain * 1e6:.1f} us: {plain / fused:.2f}x")

    stops = []
    for seed in SEEDS:
        start = time.perf_counter()
        result = lab.run(ClassifierConfig(seed=seed))
        stops.append((time.perf_counter() - start, len(result.steps), result.artifacts["test"]["accuracy"]))
    print(f"  default config to its stopping decision: median {statistics.median(s for s, _, _ in stops):.2f} s "
          f"(target <= 2 s), median {statistics.median(n for _, n, _ in stops)} epochs, "
          f"median test accuracy {statistics.median(a for _, _, a in stops):.4f}")


if __name__ == "__main__":
    main()
