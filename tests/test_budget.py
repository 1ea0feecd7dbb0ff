"""The work budget: each lab's formula by hand, every default and preset within its limit, the note."""

from __future__ import annotations

import importlib

import pytest

from lab import budget, registry
from lab.experiments import config_class
from lab.experiments.classifier import ClassifierConfig
from lab.experiments.cnn import CNNConfig
from lab.experiments.curve import CurveConfig
from lab.experiments.descent import DescentConfig
from lab.experiments.kmeans import KMeansConfig
from lab.experiments.qlearning import QLearningConfig
from lab.experiments.regression import RegressionConfig
from lab.share import from_query, to_query

STEP = budget.TORCH_STEP


@pytest.mark.parametrize("config, expected", [
    # 30-16-8-1: (31*16 + 17*8 + 9*1) = 641 parameters; 341 rows in batches of 32 -> 11 batches
    (ClassifierConfig(), 200 * (341 * 641 + 11 * STEP)),
    # logistic regression: 31 parameters; batches of one: 341 steps an epoch
    (ClassifierConfig(hidden=(), epochs=3, batch_size=1), 3 * (341 * 31 + 341 * STEP)),
    # 3x3 kernels, 16 and 32 channels: 64*9*16 + 16*9*16*32 + 4*32*10 = 84,224 multiply-adds an image;
    # 1,078 images in batches of 32 -> 34 batches
    (CNNConfig(epochs=2), 2 * (1078 * 84_224 + 34 * STEP)),
    # 1x1 kernels, 1 and 2 channels: 64*1 + 16*1*2 + 4*2*10 = 176; batches of 1,024 -> 2 batches
    (CNNConfig(channels=(1, 2), kernel_size=1, epochs=1, batch_size=1024), 1078 * 176 + 2 * STEP),
    # FrozenLake 4x4 keeps its 100-step limit; the compiled table costs 1 a step
    (QLearningConfig(), 2000 * 1 * 100 * 1),
    (QLearningConfig(env="CliffWalking-v1", engine="gymnasium", episodes=10, n_agents=2, max_steps=50), 10 * 2 * 50 * 16),
    (QLearningConfig(engine="reference", episodes=7, max_steps=9), 7 * 9 * 3),
    (KMeansConfig(), 1 * 300 * 500 * 3),
    (KMeansConfig(n_init=4, max_iter=10, n_samples=100, k=5), 4 * 10 * 100 * 5),
    # full batch: one update an epoch; 500 rows, 10 features
    (RegressionConfig(), 100 * (500 * 11 + 1 * 500)),
    # diabetes: 442 rows, 10 features; batches of 100 -> 5 updates
    (RegressionConfig(dataset="diabetes", batch_size=100, epochs=2), 2 * (442 * 11 + 5 * 500)),
    (DescentConfig(steps=1234), 1234),
    (CurveConfig(epochs=77), 77),
])
def test_work_by_hand(config, expected):
    assert config.work() == expected


def _presets(lab_id: str):
    module = importlib.import_module(config_class(lab_id).__module__.rsplit(".", 1)[0])
    for name, preset in getattr(module, "PRESETS", {}).items():
        configs = preset.config.values() if isinstance(preset.config, dict) else [preset.config]
        for config in configs:
            yield name, config


@pytest.mark.parametrize("lab_id", sorted(registry.LABS))
def test_defaults_and_presets_within_the_limit_with_room(lab_id):
    """Every lab declares a limit, and its default and every preset use at most half of it."""
    limit = budget.limit(lab_id)
    assert limit is not None
    runs = [("default", config_class(lab_id)()), *_presets(lab_id)]
    for name, config in runs:
        assert config.work() <= limit / 2, (name, config.work(), limit)
        assert budget.excess(config) is None


def test_the_hostile_links_of_issue_14_are_over_their_limits():
    clf = ClassifierConfig(epochs=500, batch_size=1, hidden=(512,) * 5)
    ql = QLearningConfig(env="CliffWalking-v1", engine="gymnasium", episodes=20_000, n_agents=32, max_steps=1000)
    for config in (clf, ql):
        note = budget.excess(config)
        assert note is not None
        assert f"{config.work():.3g}" in note and f"{budget.limit(config.lab):.3g}" in note
        assert config.lab in note and "\n" not in note


def test_threads_is_not_a_link_setting():
    """`threads` is declared ``in_url=False``: not written to a link, and a link's value is ignored with a note."""
    for cls in (ClassifierConfig, CNNConfig):
        assert "threads" not in to_query(cls(threads=8))
        config, notes = from_query(cls, {"threads": "64", "epochs": "3"})
        assert config.threads == 1 and config.epochs == 3
        assert len(notes) == 1 and notes[0].startswith("threads:")


def test_the_command_line_may_still_set_threads():
    config, _ = from_query(ClassifierConfig, {"threads": "2"}, strict=True)
    assert config.threads == 2
