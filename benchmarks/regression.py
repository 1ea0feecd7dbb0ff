"""Regression lab engine against the loops a user would otherwise write, timed in the same run.

    python benchmarks/regression.py

Cases (medians of repeated runs, one BLAS / torch thread each):
  * the default config through ``lab.run`` (target <= 0.5 s);
  * full-batch GD, 1000 epochs on 10,000 x 20 through ``lab.run`` (target <= 0.3 s), against a
    torch ``nn.Linear`` + ``torch.optim.SGD`` loop on the same arrays logging train and val loss;
  * mini-batch 32 against the torch loop over a ``DataLoader``;
  * batch size 1 (SGD) against scikit-learn's ``SGDRegressor.partial_fit`` once per epoch.

The lab's time includes making the data, the split, the scaling and the closed-form optimum;
the peers get the prepared arrays for free. The lab also records gap/optimum and grad/norm
each epoch, which the peers do not compute.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.linear_model import SGDRegressor  # noqa: E402

import lab  # noqa: E402
from benchmarks.timing import median_seconds  # noqa: E402
from lab.experiments.regression import RegressionConfig, RegressionExperiment  # noqa: E402

torch.set_num_threads(1)


def torch_loop(experiment, epochs, lr, batch_size=None, seed=0):
    """What a user writes in torch: nn.Linear, MSELoss, optim.SGD, train and val loss per epoch."""
    X = torch.tensor(experiment.X_train[:, 1:])
    y = torch.tensor(experiment.y_train).unsqueeze(1)
    Xv = torch.tensor(experiment.X_val[:, 1:])
    yv = torch.tensor(experiment.y_val).unsqueeze(1)
    torch.manual_seed(seed)
    model = torch.nn.Linear(X.shape[1], 1, dtype=torch.float64)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.MSELoss()
    history = []
    if batch_size is None:
        for _ in range(epochs):
            optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                history.append((loss.item(), loss_fn(model(Xv), yv).item()))
        return history
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=batch_size, shuffle=True,
                                         generator=torch.Generator().manual_seed(seed))
    for _ in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
        with torch.no_grad():
            history.append((loss_fn(model(X), y).item(), loss_fn(model(Xv), yv).item()))
    return history


def sklearn_sgd(experiment, epochs, lr, seed=0):
    """scikit-learn's SGD, one partial_fit per epoch, train and val MSE per epoch for the curve."""
    X, y = experiment.X_train[:, 1:], experiment.y_train
    Xv, yv = experiment.X_val[:, 1:], experiment.y_val
    model = SGDRegressor(penalty=None, learning_rate="constant", eta0=lr, random_state=seed)
    history = []
    for _ in range(epochs):
        model.partial_fit(X, y)
        history.append((np.mean((model.predict(X) - y) ** 2), np.mean((model.predict(Xv) - yv) ** 2)))
    return history


def main():
    rows = []
    default = RegressionConfig()
    t_default = median_seconds(lambda: lab.run(default), 9, warm=True)
    rows.append(("default config (500 x 10, GD, 100 epochs)", t_default, None, None))

    big = RegressionConfig(n_samples=12_500, n_features=20, epochs=1000, lr=0.5)
    experiment = RegressionExperiment(big)
    assert experiment.y_train.size == 10_000
    t_big = median_seconds(lambda: lab.run(big), 7, warm=True)
    t_big_torch = median_seconds(lambda: torch_loop(experiment, 1000, 0.5), 5, warm=True)
    rows.append(("full batch, 1000 epochs, 10,000 x 20", t_big, "torch nn.Linear + optim.SGD", t_big_torch))

    mini = RegressionConfig(batch_size=32, optimizer="sgd", lr=0.05)
    small = RegressionExperiment(mini)
    t_mini = median_seconds(lambda: lab.run(mini), 7, warm=True)
    t_mini_torch = median_seconds(lambda: torch_loop(small, 100, 0.05, batch_size=32), 5, warm=True)
    rows.append(("mini-batch 32, 100 epochs, 400 x 10", t_mini, "torch DataLoader loop", t_mini_torch))

    sgd = RegressionConfig(batch_size=1, optimizer="sgd", lr=0.003)
    t_sgd = median_seconds(lambda: lab.run(sgd), 7, warm=True)
    t_sgd_sk = median_seconds(lambda: sklearn_sgd(small, 100, 0.003), 5, warm=True)
    rows.append(("batch 1 (SGD), 100 epochs, 400 x 10", t_sgd, "sklearn SGDRegressor.partial_fit", t_sgd_sk))

    print(f"{'case':44} {'lab.run':>10} {'peer':>34} {'peer s':>10} {'lab/peer':>9}")
    for name, ours, peer, theirs in rows:
        if peer is None:
            print(f"{name:44} {ours:10.4f}")
        else:
            print(f"{name:44} {ours:10.4f} {peer:>34} {theirs:10.4f} {ours / theirs:9.2f}")
    print(f"targets: default <= 0.5 s ({'met' if t_default <= 0.5 else 'MISSED'}), "
          f"full batch 1000 x 10k x 20 <= 0.3 s ({'met' if t_big <= 0.3 else 'MISSED'})")


if __name__ == "__main__":
    main()
