"""Sequences lab speed: the default run (LSTM, 2,000 sentences, at most 16 words) to its decision, and an
epoch against the loop a user would write (TensorDataset + DataLoader + nn.LSTM).

Both train the same LSTM (embedding 16, hidden 32, Adam lr 0.01, batch 32, one thread) on the same padded
sentences, with the same per-epoch evaluation (train and validation loss and accuracy); the lab also
measures every batch's gradient norm and the validation accuracy per kind. Medians over seeds; ratios
from this run (paired, interleaved so that the machine's load falls alike on both).

    python benchmarks/sequences.py
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
from lab.experiments.sequences import SequenceConfig  # noqa: E402
from lab.experiments.sequences.engine import SequenceTrainer  # noqa: E402

SEEDS = range(3)
EPOCHS = 5


class UserLSTM(torch.nn.Module):
    def __init__(self, vocab: int) -> None:
        super().__init__()
        self.embed, self.lstm, self.out = torch.nn.Embedding(vocab, 16), torch.nn.LSTM(16, 32, batch_first=True), torch.nn.Linear(32, 1)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        outputs, _ = self.lstm(self.embed(ids))
        last = ((ids != 0).sum(1) - 1).clamp(min=0)
        return self.out(outputs[torch.arange(len(ids)), last]).squeeze(1)


def dataloader_epoch(config: SequenceConfig) -> float:
    """Seconds per epoch of the textbook loop on the lab's own padded sentences."""
    torch.manual_seed(config.seed)
    data = SequenceTrainer(config)  # the same tokenized, padded split
    model = UserLSTM(data.vocab.size)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    loader = DataLoader(TensorDataset(data.X_train, data.y_train), batch_size=config.batch_size, shuffle=True)
    start = time.perf_counter()
    for _ in range(config.epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            for X, y in ((data.X_train, data.y_train), (data.X_val, data.y_val)):
                z = model(X)
                loss_fn(z, y).item(), ((z > 0).float() == y).float().mean().item()
    return (time.perf_counter() - start) / config.epochs


def lab_epoch(config: SequenceConfig) -> float:
    """Seconds per epoch of the lab's run, first to last epoch (setup left out, as in the peer)."""
    stamps: list[float] = []
    lab.run(config, on_step=lambda step: stamps.append(time.perf_counter()))
    return (stamps[-1] - stamps[0]) / (len(stamps) - 1)


def main() -> None:
    torch.set_num_threads(1)
    default = SequenceConfig()
    fixed = default.replace(epochs=EPOCHS + 1, stopping=default.stopping.replace(enabled=False))
    lab.run(fixed.replace(epochs=2))
    dataloader_epoch(fixed.replace(epochs=1))
    decisions, ours, peer = [], [], []
    for seed in SEEDS:
        start = time.perf_counter()
        result = lab.run(default.replace(seed=seed))
        decisions.append((time.perf_counter() - start, len(result.steps), result.steps[-1].metrics["val/accuracy"]))
        ours.append(lab_epoch(fixed.replace(seed=seed)))
        peer.append(dataloader_epoch(fixed.replace(seed=seed, epochs=EPOCHS)))
    seconds = statistics.median(s for s, _, _ in decisions)
    print(f"sequences, default LSTM (embedding {default.embedding}, hidden {default.hidden}), {default.n_sentences} sentences, "
          f"max_len {default.max_len}, Adam lr {default.lr}, batch {default.batch_size}, {len(SEEDS)} seeds, 1 thread")
    print(f"  default run to its decision: median {seconds:.2f} s (target <= 5 s); epochs run "
          f"{[n for _, n, _ in decisions]}, final val accuracy {[round(a, 3) for _, _, a in decisions]}")
    ours_s, peer_s = statistics.median(ours), statistics.median(peer)
    ratios = [p / o for o, p in zip(ours, peer)]
    print(f"  lab epoch        : {ours_s * 1000:7.1f} ms")
    print(f"  DataLoader epoch : {peer_s * 1000:7.1f} ms")
    print(f"  speed-up         : {peer_s / ours_s:.2f}x from the medians; paired ratios median {statistics.median(ratios):.2f}x "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f}; target > 1x)")


if __name__ == "__main__":
    main()
