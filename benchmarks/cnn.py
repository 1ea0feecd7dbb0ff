"""CNN lab speed: time to 97% validation accuracy, and epoch time against a DataLoader loop.

The peer is the loop a user would write: TensorDataset + DataLoader(shuffle=True), the same
network (`build_cnn`), default Adam, the same per-epoch evaluation (train and val loss and
accuracy). Epoch times are medians over seeds, from first to last epoch (setup left out for
both); ratios from this run, one thread.

    python benchmarks/cnn.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

import lab  # noqa: E402
from lab.experiments.cnn import CNNConfig, split_digits  # noqa: E402
from lab.experiments.cnn.torch_engine import build_cnn  # noqa: E402

SEEDS = range(5)
EPOCHS = 8


def dataloader_epoch_seconds(config: CNNConfig) -> tuple[float, float]:
    torch.manual_seed(config.seed)
    d = split_digits(config.seed)
    images = lambda a: torch.tensor(a, dtype=torch.float32).unsqueeze(1)  # noqa: E731
    X_train, X_val = images(d.X_train), images(d.X_val)
    y_train, y_val = torch.tensor(d.y_train), torch.tensor(d.y_val)
    model = build_cnn(config.channels, config.kernel_size, config.batch_norm, config.dropout, torch.Generator().manual_seed(config.seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=config.batch_size, shuffle=True)
    stamps = []
    for _ in range(config.epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            for X, y in ((X_train, y_train), (X_val, y_val)):
                z = model(X)
                F.cross_entropy(z, y).item()
                val_accuracy = (z.argmax(1) == y).float().mean().item()
        stamps.append(time.perf_counter())
    return (stamps[-1] - stamps[0]) / (len(stamps) - 1), val_accuracy


def lab_run(config: CNNConfig) -> tuple[float, float | None, float]:
    """Seconds per epoch, seconds from start to the first epoch at >= 97% val accuracy, last val accuracy."""
    stamps: list[float] = []
    reached: list[float] = []
    start = time.perf_counter()

    def on_step(step):
        stamps.append(time.perf_counter())
        if not reached and step.metrics["val/accuracy"] >= 0.97:
            reached.append(stamps[-1] - start)

    result = lab.run(config, on_step=on_step)
    return (stamps[-1] - stamps[0]) / (len(stamps) - 1), (reached or [None])[0], result.last("val/accuracy")


def main() -> None:
    torch.set_num_threads(1)
    config = CNNConfig()
    lab.run(config.replace(epochs=1))
    reach, ours, peer, ratios = [], [], [], []
    for seed in SEEDS:
        _, seconds, _ = lab_run(config.replace(seed=seed))
        reach.append(seconds if seconds is not None else float("inf"))
        fixed = config.replace(seed=seed, epochs=EPOCHS, stopping=config.stopping.replace(enabled=False))
        o, _, _ = lab_run(fixed)
        p, _ = dataloader_epoch_seconds(fixed)
        ours.append(o)
        peer.append(p)
        ratios.append(p / o)
    print(f"cnn, default config: channels {config.channels}, Adam lr {config.lr}, batch {config.batch_size}, {len(SEEDS)} seeds, 1 thread")
    print(f"  time to 97% validation accuracy: median {statistics.median(reach):.2f} s "
          f"(per seed {', '.join(f'{r:.2f}' for r in reach)}; target <= 3 s)")
    print(f"  epoch time, lab        : median {statistics.median(ours) * 1e3:.1f} ms")
    print(f"  epoch time, DataLoader : median {statistics.median(peer) * 1e3:.1f} ms")
    print(f"  speed-up               : median of paired ratios {statistics.median(ratios):.2f}x "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f}; target >= 1x)")


if __name__ == "__main__":
    main()
