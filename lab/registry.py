"""Every lab and every page of the app, each declared once.

A **lab** is a kind of experiment: its short id (the name in saved runs, sweeps and the command
line), its config class, what one step of it is, the metrics it is judged by and what the Sweeps
page proposes first. A **page** is what the app shows: title, icon, the one-line question it
answers, its file and the prefix of its widget keys; a lab page names the lab it runs. The
Optimizers and Schedules pages both run the ``descent`` lab, so two pages name one lab, and a
lab's runs reopen in the first page that runs it (`page_of`).

Navigation, page headers, the home cards, Runs, Sweeps, the command line and `Config.step_unit`
read these tables. A config class is named by a ``"module:Class"`` path that only
`lab.experiments.config_class` imports, so reading the registry imports no torch.

Adding a lab: a folder ``lab/experiments/<lab>/`` whose config sets ``lab = "<id>"``, one `Lab`
entry below, and one page file with its `Page` entry (the page calls ``page.setup("<page id>")``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from lab.metrics import mode_of


@dataclass(frozen=True)
class Monitor:
    """A metric a run is judged by, and whether lower ("min") or higher ("max") is better."""

    metric: str

    @property
    def direction(self) -> str:
        """Whether lower ("min") or higher ("max") is better, from the metric's name (`lab.metrics.mode_of`)."""
        return mode_of(self.metric)


@dataclass(frozen=True)
class SweepDefaults:
    """What the Sweeps page proposes first for a lab."""

    #: the fields searched by default, each with its range as text (see `lab.sweep.space`)
    fields: Mapping[str, str]
    #: settings every trial changes from the config's defaults (to keep trials short)
    base: Mapping[str, Any] = field(default_factory=dict)
    #: the metric's value of a run: its "best" over the run or its "last"
    take: Literal["best", "last"] = "best"


@dataclass(frozen=True)
class Lab:
    """One kind of experiment, as saved runs, sweeps and the command line know it."""

    id: str
    #: the config class as ``"module:Class"``, imported only when asked for
    config: str
    #: what one step is, in the plural ("epochs", "episodes"); every stop reason says it
    step_unit: str
    #: the metrics offered as a sweep's objective, the default monitor first
    monitors: tuple[Monitor, ...]
    sweep: SweepDefaults
    #: the most work (`Config.work`, in the lab's units) one run may do on a shared deployment
    #: (`lab.budget`); calibrated to about 10 to 20 s on two loaded cores
    work_limit: int | None = None

    @property
    def monitor(self) -> Monitor:
        """The metric a sweep optimizes by default, and its direction."""
        return self.monitors[0]


@dataclass(frozen=True)
class Page:
    """One page of the app: what the sidebar, the home cards and the page's header show."""

    id: str
    title: str
    icon: str
    #: the one-line question the page answers, under its title and on its home card ("" for Home)
    question: str
    #: the page's file, relative to the repository root
    file: str
    #: the prefix of the page's widget keys in the session state ("opt" for ``opt.lr``)
    prefix: str
    #: the lab whose config the page runs (None for Home, Runs and Sweeps)
    lab: str | None = None


_LOSS = Monitor("val/loss")
_ACCURACY = Monitor("val/accuracy")

#: The labs, by id.
LABS: dict[str, Lab] = {lab.id: lab for lab in (
    Lab("descent", "lab.experiments.descent:DescentConfig", "steps", (Monitor("gap/optimum"), Monitor("loss")),
        SweepDefaults({"lr": "float:0.0001:0.1:log:5", "optimizer": "choice:gd,momentum,rmsprop,adam,nadam,lion"},
                      base={"surface": "rosenbrock", "steps": 500}, take="last"), work_limit=1_000_000),
    Lab("curve", "lab.experiments.curve:CurveConfig", "epochs", (_LOSS,),
        SweepDefaults({"noise": "float:0.01:0.1:3", "onset": "int:20:60:3"}), work_limit=20_000),
    Lab("regression", "lab.experiments.regression:RegressionConfig", "epochs", (_LOSS, Monitor("train/loss"), Monitor("gap/optimum")),
        SweepDefaults({"lr": "float:0.001:1:log:5", "batch_size": "choice:1,16,64"}), work_limit=400_000_000),
    Lab("classifier", "lab.experiments.classifier:ClassifierConfig", "epochs", (_LOSS, _ACCURACY),
        SweepDefaults({"lr": "float:0.0001:0.1:log:4", "batch_norm": "choice:False,True"}, base={"epochs": 15}), work_limit=20_000_000_000),
    Lab("cnn", "lab.experiments.cnn:CNNConfig", "epochs", (_LOSS, _ACCURACY),
        SweepDefaults({"lr": "float:0.0003:0.03:log:3", "batch_norm": "choice:False,True"}, base={"epochs": 4}), work_limit=15_000_000_000),
    Lab("kmeans", "lab.experiments.kmeans:KMeansConfig", "iterations", (Monitor("kmeans/inertia"),),
        SweepDefaults({"k": "int:2:8:4", "init": "choice:k-means++,random"}, take="last"), work_limit=4_000_000_000),
    Lab("qlearning", "lab.experiments.qlearning:QLearningConfig", "episodes", (Monitor("episode/return"), Monitor("gap/optimum")),
        SweepDefaults({"alpha": "float:0.05:0.9:log:4", "gamma": "choice:0.9,0.99"}, take="last"), work_limit=30_000_000),
    Lab("playground", "lab.experiments.playground:PlaygroundConfig", "epochs", (_LOSS, _ACCURACY),
        SweepDefaults({"lr": "float:0.001:0.3:log:4", "layers": "int:0:3:4"}, base={"epochs": 100}), work_limit=6_000_000_000),
    Lab("sequences", "lab.experiments.sequences:SequenceConfig", "epochs", (_ACCURACY, _LOSS),
        SweepDefaults({"model": "choice:bow,rnn,lstm", "lr": "float:0.001:0.1:log:3"}, base={"epochs": 5, "n_sentences": 1000}),
        work_limit=12_000_000_000),
)}

#: The pages, by id, in the order the sidebar and the home cards list them.
PAGES: dict[str, Page] = {page.id: page for page in (
    Page("home", "Home", "🏠", "", "app.py", "home"),  # no card and no header of its own: app.py introduces the app
    Page("optimizers", "Optimizers", "🧭", "How do gradient descent, momentum, Nesterov, Adagrad, RMSprop and Adam differ on the same surface?",
         "pages/1_Optimizers.py", "opt", "descent"),
    Page("schedules", "Schedules", "📉", "What does a learning-rate schedule change? A constant lr stalls at a noise floor; a decaying one "
         "keeps converging.", "pages/2_Schedules.py", "sch", "descent"),
    Page("early_stopping", "Early stopping", "✋", "When should training stop? Patience, min_delta, baseline and thresholds decide on "
         "a noisy validation curve.", "pages/3_Early_stopping.py", "es", "curve"),
    Page("regression", "Regression", "📈", "Does gradient descent reach the least-squares solution, and how do scaling, batch size, "
         "learning rate and the optimizer change the way there?", "pages/4_Regression.py", "reg", "regression"),
    Page("classifier", "Classifier", "🩺", "How do batch norm, dropout and L2 change the train/validation curves of a breast-cancer MLP?",
         "pages/5_Classifier.py", "clf", "classifier"),
    Page("cnn", "CNN", "🔢", "How fast does a small CNN learn the 8x8 digits, and which digits does it still confuse?",
         "pages/6_CNN.py", "cnn", "cnn"),
    Page("kmeans", "K-means", "🎯", "When do the centres stop moving, and why does a bad start end in a local optimum?",
         "pages/7_K-means.py", "km", "kmeans"),
    Page("qlearning", "Q-learning", "🧊", "When has an agent learned? Return, Q-table change and the exact distance to the optimal policy.",
         "pages/8_Q-learning.py", "ql", "qlearning"),
    Page("playground", "Playground", "🧪", "Watch a small network learn 2-D data: its decision surface, every neuron, and "
         "backpropagation step by step.", "pages/11_Playground.py", "pg", "playground"),
    Page("sequences", "Sequences", "💬", "Can a model read 'not'? A bag of words, a plain RNN and an LSTM learn the sentiment of "
         "sentences, negations and long ones included.", "pages/12_Sequences.py", "seq", "sequences"),
    Page("runs", "Runs", "🗂️", "Every run is saved. Pick several to overlay their curves and see which settings differ.",
         "pages/9_Runs.py", "runs"),
    Page("sweeps", "Sweeps", "🔍", "Which settings converge best? Search a lab's settings by grid, random or Bayesian (TPE) search.",
         "pages/10_Sweeps.py", "sw"),
)}


def page_of(lab: str) -> Page | None:
    """The page a lab's runs reopen in: the first page that runs it (None: no page runs it)."""
    return next((page for page in PAGES.values() if page.lab == lab), None)


def step_unit(lab: str) -> str:
    """What one step of a lab is, in the plural; "steps" for a lab the registry does not know."""
    return LABS[lab].step_unit if lab in LABS else "steps"
