"""Playground lab: a small network on 2-D data that you watch learn, as TensorFlow Playground shows it.

One Step per epoch (0-based, like the classifier) with ``train/loss`` and ``val/loss`` (the test
split; data loss without the penalty, in eval mode), for classification ``train/accuracy`` and
``val/accuracy``, ``lr``, ``grad/norm`` (the full training-set gradient at the epoch's end, penalty
included) and ``grad/first`` / ``grad/last``: the norms of the first and the last layer's weight
gradients in it, whose ratio shows vanishing gradients.

The engine is the numpy `Network` (float64), trained on mini-batches reshuffled each epoch by the
seeded generator, one `lab.optim` optimizer over the flat parameter vector, the lr from
`lab.schedules`. Dropout masks come from the same generator. The frames the page scrubs (the
output surface, every neuron's map and the weights at recorded epochs) are kept on a `Film`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from lab.config import Config, field
from lab.constraints import Boolean, FieldError, Interval, Items, Nested, Options
from lab.epochs import batches, finite_metrics
from lab.experiments.playground.data import DATASETS, REGRESSION, Points, load
from lab.experiments.playground.features import FeatureConfig
from lab.experiments.playground.network import ACTIVATIONS, Network, data_loss
from lab.optim import MINIBATCH
from lab.optim_settings import lr_field, optimizer_field, schedule_field
from lab.presets import Preset
from lab.records import Step
from lab.schedules import ScheduleConfig
from lab.stopping import Decision, Divergence, Rule
from lab.stopping.config import StoppingConfig, StoppingOn

OPTIMIZERS = MINIBATCH
MONITORS = ("val/loss", "val/accuracy", "train/loss", "train/accuracy")
MAX_LAYERS, MAX_NEURONS = 6, 8
#: Diverged: a cross-entropy ten times a coin flip's (ln 2), or a squared error of 100 on targets in [-1, 1].
DIVERGE_ABOVE = {"classification": 10 * math.log(2), "regression": 100.0}
#: The plane the surfaces are drawn over, and the grids: the output surface, each neuron's small map.
EXTENT = 6.0
OUTPUT_GRID, NEURON_GRID = 32, 11
#: At most this many epochs get a frame to scrub (evenly spaced, the last one always).
FRAMES = 100
#: Work of one mini-batch step beside the multiply-adds (numpy's per-call overhead, in the same units).
BATCH_COST = 50_000
DEFAULT_STOPPING = StoppingConfig(enabled=True, patience=10, min_delta=0.001)


def grid(n: int) -> np.ndarray:
    """The (n*n, 2) points of an n x n grid over the plane, row by row from the top (x2 = +EXTENT) down."""
    xs = np.linspace(-EXTENT, EXTENT, n)
    x1, x2 = np.meshgrid(xs, xs[::-1])
    return np.column_stack([x1.ravel(), x2.ravel()])


@dataclass(frozen=True)
class Frame:
    """The network at one epoch: the output surface (OUTPUT_GRID²), each layer's neuron maps
    (NEURON_GRID² x width, the inputs first) and the parameters."""

    epoch: int
    output: np.ndarray
    neurons: list[np.ndarray]
    params: dict[str, np.ndarray]


class Film:
    """The page's window on a run: the upload going in, the network and its frames coming out.

    `lab.run(config, data=film)` hands it to the experiment, which records a `Frame` at the
    recorded epochs and points `network` at the live model, so the page can draw `now()` while
    the run is still going. A run in a worker process trains that process's copy of the film,
    which sends its `live_view()` back; the page's film `receive`s it.
    """

    def __init__(self, upload: Any = None) -> None:
        self.upload = upload
        self.frames: dict[int, Frame] = {}
        self.network: Network | None = None
        self.features: FeatureConfig | None = None
        self.epoch = -1
        self.points: Points | None = None
        self.received: Frame | None = None

    def frame(self, epoch: int) -> Frame:
        """The network's surfaces as they are now, labelled `epoch`."""
        net, features = self.network, self.features
        fine, coarse = features.transform(grid(OUTPUT_GRID)), features.transform(grid(NEURON_GRID))
        with np.errstate(all="ignore"):
            output = net.predict(fine).astype(np.float32)
            neurons = [layer.astype(np.float32) for layer in net.layer_outputs(coarse)[:-1]]
        return Frame(epoch, output, neurons, {k: v.copy() for k, v in net.params.items()})

    def now(self) -> Frame | None:
        """The network as it is now: trained in this process, or as a worker last sent it (`receive`)."""
        return self.received if self.network is None else self.frame(self.epoch)

    def live_view(self) -> tuple[Frame | None, Points | None]:
        """In a worker (`lab.workers`): what it sends the page while the run trains (the frame, the points)."""
        return self.now(), self.points

    def receive(self, view: tuple[Frame | None, Points | None]) -> None:
        """On the page: a view a worker sent; `now` and `points` give it from here on."""
        self.received, self.points = view


@dataclass(frozen=True)
class PlaygroundConfig(Config):
    """The data, the inputs, the network and its training."""

    lab: ClassVar[str] = "playground"
    step_unit: ClassVar[str] = "epochs"

    dataset: str = field("circle", help="circle, xor, gaussians, spiral, moons (classification), plane, bumps (regression) "
                         "or csv (uploaded)", allowed=Options(DATASETS))
    label: str = field("", help="csv: the label column (empty: the last numeric column)")
    points: int = field(500, help="points generated (20 to 2000)", allowed=Interval(Integral, 20, 2000))
    noise: float = field(0.0, help="Gaussian jitter of the points, as a fraction of the plane's radius (0 to 0.5)",
                         allowed=Interval(Real, 0, 0.5))
    test_ratio: float = field(0.5, help="share of the points held out as the test split (0.1 to 0.9)", allowed=Interval(Real, 0.1, 0.9))
    features: FeatureConfig = field(FeatureConfig(), help="the input features switched on", allowed=Nested(FeatureConfig))
    layers: int = field(2, help="hidden layers (0 to 6)", allowed=Interval(Integral, 0, MAX_LAYERS))
    neurons: tuple[int, ...] = field((4,) * MAX_LAYERS, help="neurons in each of the six hidden layer slots (1 to 8; the "
                                     "first `layers` are used)", allowed=Items(Interval(Integral, 1, MAX_NEURONS), MAX_LAYERS, MAX_LAYERS))
    activations: tuple[str, ...] = field(("tanh",) * MAX_LAYERS, help="the activation of each hidden layer slot: " + ", ".join(ACTIVATIONS),
                                         allowed=Items(Options(ACTIVATIONS), MAX_LAYERS, MAX_LAYERS))
    l1: float = field(0.0, help="L1 rate: l1 x sum |W| added to the loss", allowed=Interval(Real, 0, 1))
    l2: float = field(0.0, help="L2 rate: l2/2 x sum W² added to the loss", allowed=Interval(Real, 0, 1))
    dropout: float = field(0.0, help="dropout probability after each hidden activation (0 to 0.9)", allowed=Interval(Real, 0, 0.9))
    batch_norm: bool = field(False, help="batch normalisation before each hidden activation", allowed=Boolean())
    optimizer: str = optimizer_field(OPTIMIZERS)
    lr: float = lr_field(0.03)
    schedule: ScheduleConfig = schedule_field()
    batch_size: int = field(10, help="mini-batch size (1 to 1000)", allowed=Interval(Integral, 1, 1000))
    epochs: int = field(300, help="most epochs to train", allowed=Interval(Integral, 1, 2000))
    stopping: StoppingConfig = field(DEFAULT_STOPPING, help="early stopping on one of " + ", ".join(MONITORS), allowed=StoppingOn(MONITORS))
    seed: int = field(0, help="seed of the data, the split, the initial weights, the shuffles and dropout",
                      allowed=Interval(Integral, 0, 2**31 - 1))

    def check(self) -> None:
        if self.batch_norm and self.batch_size < 2:
            raise FieldError("batch_size", self.batch_size, "is not allowed with batch_norm=True (a batch of one has no variance); "
                             "allowed: 2 to 1000")

    @property
    def hidden(self) -> tuple[int, ...]:
        """The widths of the hidden layers in use."""
        return self.neurons[:self.layers]

    @property
    def task(self) -> str:
        """What the dataset asks (a CSV's task is only known from the file: classification until then)."""
        return "regression" if self.dataset in REGRESSION else "classification"

    def rules(self) -> list[Rule]:
        """The divergence guard on train/loss (classification's threshold for a CSV), then early stopping when on."""
        return [Divergence("train/loss", DIVERGE_ABOVE[self.task]), *self.stopping.rules()]

    def work(self) -> int:
        """Epochs x (training points x parameters x 3 + mini-batches x the cost of a numpy step).

        Three passes (forward, backward, update) over every parameter for every point; a step's numpy
        overhead counts `BATCH_COST`. An uploaded CSV counts at the generated size.
        """
        sizes = [len(self.features.names), *self.hidden, 1]
        params = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
        train = max(1, round(self.points * (1 - self.test_ratio)))
        return self.epochs * (train * params * 3 + -(-train // self.batch_size) * BATCH_COST)

    @property
    def budget(self) -> int:
        return self.epochs

    def experiment(self, data: Any = None) -> PlaygroundExperiment:
        """The run; `data` is a `Film` (what the page watches, carrying any upload) or the uploaded CSV itself."""
        film = data if isinstance(data, Film) else Film(data)
        points = load(self.dataset, self.points, self.noise, self.test_ratio, self.seed, film.upload, self.label)
        return PlaygroundExperiment(self, points, film)


class PlaygroundExperiment:
    """Mini-batch training of the numpy `Network`, a Step per epoch and a Frame at the recorded epochs."""

    def __init__(self, config: PlaygroundConfig, points: Points, film: Film) -> None:
        from lab import optim

        self.config, self.points, self.film = config, points, film
        self.rng = np.random.default_rng(config.seed)
        f = config.features
        self.X_train, self.X_test = f.transform(points.X_train), f.transform(points.X_test)
        sizes = [self.X_train.shape[1], *config.hidden, 1]
        self.network = Network(sizes, config.activations[:config.layers], config.batch_norm, points.task, self.rng)
        self.optimizer = optim.make(config.optimizer, lr=config.lr)
        self.stride = max(1, -(-config.epochs // FRAMES))
        film.network, film.features, film.frames, film.epoch, film.points = self.network, f, {}, -1, points
        self.diverge_above = DIVERGE_ABOVE[points.task]

    def _masks(self, n: int) -> list[np.ndarray] | None:
        keep = 1.0 - self.config.dropout
        if keep >= 1.0:
            return None
        return [(self.rng.random((n, width)) < keep) / keep for width in self.config.hidden]

    def scores(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """Eval-mode data loss and accuracy (NaN for regression)."""
        out = self.network.forward(X, train=False)[0]
        accuracy = float(np.mean((out > 0) == (y > 0.5))) if self.points.task == "classification" else math.nan
        return data_loss(self.points.task, out, y), accuracy

    def steps(self):
        c, net, opt, p = self.config, self.network, self.optimizer, self.points
        policy = c.schedule.policy(c.lr, c.epochs)
        n = len(p.y_train)
        spans = batches(n, c.batch_size, c.batch_norm)
        weights = [f"W{i}" for i in range(net.depth + 1)]
        for epoch in range(c.epochs):
            lr = opt.lr = policy.lr(epoch)
            order = self.rng.permutation(n)
            X, y = self.X_train[order], p.y_train[order]
            with np.errstate(all="ignore"):
                for start, stop in spans:
                    grad, caches = net.gradient(X[start:stop], y[start:stop], c.l1, c.l2, self._masks(stop - start))
                    net.update_running(caches)
                    net.flat[...] = opt.step(net.flat, grad)
                full, _ = net.gradient(self.X_train, p.y_train, c.l1, c.l2, train=False)
                g = Network.views(full, net.shapes)
                (train_loss, train_acc), (test_loss, test_acc) = self.scores(self.X_train, p.y_train), self.scores(self.X_test, p.y_test)
            metrics = {"train/loss": train_loss, "val/loss": test_loss, "lr": float(lr), "grad/norm": float(np.linalg.norm(full)),
                       "grad/first": float(np.linalg.norm(g[weights[0]])), "grad/last": float(np.linalg.norm(g[weights[-1]]))}
            if p.task == "classification":
                metrics.update({"train/accuracy": train_acc, "val/accuracy": test_acc})
            policy.observe(test_loss)
            self.film.epoch = epoch
            if epoch % self.stride == 0 or epoch == c.epochs - 1 or not train_loss < self.diverge_above:
                self.film.frames[epoch] = self.film.frame(epoch)
            yield Step(epoch, finite_metrics(metrics))

    def snapshot(self) -> Any:
        return self.network.state()

    def restore(self, snap: Any) -> None:
        self.network.load_state(snap)

    def artifacts(self, decision: Decision) -> dict[str, Any]:
        """The test scores of the final (or restored) network, the frames to scrub (the last one of the network as it
        ends, labelled with the epoch whose weights it holds after a restore), the data, and the network with its training inputs for the backprop walk (the run store keeps the scores)."""
        film = self.film
        film.frames[decision.step] = film.frame(decision.step if decision.best_step is None else decision.best_step)
        with np.errstate(all="ignore"):
            test_loss, test_acc = self.scores(self.X_test, self.points.y_test)
        test = {"loss": test_loss, **({"accuracy": test_acc} if self.points.task == "classification" else {})}
        return {"test": finite_metrics(test), "task": self.points.task, "frames": dict(sorted(film.frames.items())),
                "points": self.points, "features": list(self.config.features.labels), "network": self.network,
                "inputs": (self.X_train, self.points.y_train)}


DEFAULT_VIEW = PlaygroundConfig()
_NO_STOPPING = DEFAULT_STOPPING.replace(enabled=False)
_DEEP = dict(layers=6, neurons=(8,) * MAX_LAYERS, optimizer="sgd", epochs=60, stopping=_NO_STOPPING)

PRESETS: dict[str, Preset] = {
    "xor": Preset(
        "XOR needs a hidden layer",
        "With no hidden layer the network draws one straight line, and no line separates the XOR quadrants: the test accuracy "
        "stays near 50%. One hidden layer of 4 neurons bends the boundary and passes 95%. Set the hidden layers to 0 to see it fail.",
        PlaygroundConfig(dataset="xor", layers=1, epochs=200),
    ),
    "spiral": Preset(
        "The spiral needs depth or sin features",
        "Two hidden layers of 4 on x1 and x2 cannot wind around the spiral; sin x1 and sin x2 as inputs (or more depth) can. "
        "Switch the sin features off to see the shallow network fail.",
        PlaygroundConfig(dataset="spiral", features=FeatureConfig(sin_x1=True, sin_x2=True), layers=3, neurons=(8,) * MAX_LAYERS,
                         lr=0.01, epochs=400),
    ),
    "diverge": Preset(
        "Too high a learning rate diverges",
        "Plain SGD at lr 20 overshoots: within the first epoch the loss is past ten times a coin flip's and the run stops, "
        "diverged. Plain SGD at lr 0.3 trains.",
        PlaygroundConfig(optimizer="sgd", lr=20.0, stopping=_NO_STOPPING),
    ),
    "l2": Preset(
        "L2 smooths an overfit boundary",
        "A big network on 40 noisy points bends its boundary around every training point, and its test loss climbs. "
        "L2 at 0.01 keeps the weights small: a smoother boundary and a lower test loss. Set L2 to 0 to compare.",
        PlaygroundConfig(dataset="gaussians", points=40, noise=0.3, layers=3, neurons=(8,) * MAX_LAYERS,
                         activations=("relu",) * MAX_LAYERS, l2=0.01, lr=0.01, epochs=300, stopping=_NO_STOPPING),
    ),
    "sigmoid": Preset(
        "Deep sigmoid networks learn slowly",
        "Each sigmoid passes back at most a quarter of the gradient, so in six layers the first layer's gradient is a tiny "
        "fraction of the last's (vanishing gradients) and plain SGD hardly moves the boundary.",
        PlaygroundConfig(activations=("sigmoid",) * MAX_LAYERS, lr=0.3, **_DEEP),
    ),
    "batch_norm": Preset(
        "Batch norm lets a 10x learning rate train",
        "Six ReLU layers with plain SGD at lr 1 die without batch norm (every unit stuck at zero, 50% accuracy) and "
        "train with it. Without batch norm lr 0.1 is needed.",
        PlaygroundConfig(activations=("relu",) * MAX_LAYERS, lr=1.0, batch_norm=True, **_DEEP),
    ),
}
