"""Each Classifier and CNN preset, clicked on its page, shows what its lesson claims (issue 12).

The claim is read off the page: its loss and accuracy charts' data, its metrics and its decision banner;
where a lesson contrasts two runs, the test changes the one setting on the page and reads the other run.
"""

from __future__ import annotations

import pandas as pd
import pytest

CLASSIFIER, CNN = "pages/5_Classifier.py", "pages/6_CNN.py"


def _curves(at) -> dict[str, pd.DataFrame]:
    """The loss and accuracy charts (the page's first two) as step x {train, validation}."""
    import pyarrow as pa

    out = {}
    for name, el in zip(("loss", "accuracy"), at.get("vega_lite_chart")):
        frame = pa.ipc.open_stream(el.proto.datasets[0].data.data).read_pandas()
        out[name] = frame.pivot_table(index="step", columns="metric", values="value")
    return out


def _banner(at) -> str:
    return " ".join(e.value for e in [*at.success, *at.warning, *at.error]).lower()


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _percent(text: str) -> float:
    return float(text.rstrip("%")) / 100


def _click(at, prefix: str, name: str):
    at.button(key=f"{prefix}.preset.{name}").click().run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    return at


@pytest.fixture
def classifier(open_app):
    return open_app(CLASSIFIER, timeout=300)


@pytest.fixture
def cnn(open_app):
    return open_app(CNN, timeout=300)


def test_overfit_then_early_stopping_rescues_it(classifier):
    loss = _curves(_click(classifier, "clf", "overfit"))["loss"]
    assert len(loss) == 100 and "stopped" not in _banner(classifier)
    assert loss["train"].iloc[-1] < 1e-3  # the training loss goes to zero ...
    best_epoch = int(loss["validation"].idxmin())
    assert best_epoch < 20 and loss["validation"].iloc[-1] > 2 * loss["validation"].min()  # ... the validation loss turns up
    overfit_end = loss["validation"].iloc[-1]

    loss = _curves(_click(classifier, "clf", "early_stopping"))["loss"]
    banner = _banner(classifier)
    assert "stopped at epoch" in banner and f"at epoch {best_epoch}" in banner, banner  # restored to its best epoch
    assert int(_metrics(classifier)["epochs run"]) == best_epoch + 21  # patience 20 after the best epoch
    assert loss["validation"].min() < overfit_end / 2  # what it keeps is far below training to the end


def test_batch_norm_takes_lr_3_where_the_plain_network_needs_lr_0_3(classifier):
    accuracy = _curves(_click(classifier, "clf", "batch_norm_high_lr"))["accuracy"]
    assert "diverged" not in _banner(classifier) and accuracy["validation"].max() >= 0.95
    assert _percent(_metrics(classifier)["test accuracy"]) >= 0.85  # lr 3 stays noisy: 89.5% on seed 0
    classifier.checkbox(key="clf.batch_norm").uncheck().run()
    assert "diverged at epoch" in _banner(classifier)
    classifier.select_slider(key="clf.lr").set_value(0.3).run()
    assert not classifier.exception and "diverged" not in _banner(classifier)
    assert _curves(classifier)["accuracy"]["validation"].max() >= 0.95


def test_sigmoid_units_learn_slowly_where_relu_reaches_95_percent(classifier):
    accuracy = _curves(_click(classifier, "clf", "sigmoid_slow"))["accuracy"]
    assert accuracy["validation"].max() < 0.8, accuracy["validation"].max()
    classifier.selectbox(key="clf.activation").select("relu").run()
    accuracy = _curves(classifier)["accuracy"]["validation"]
    assert accuracy.max() >= 0.95 and int((accuracy >= 0.95).idxmax()) < 10, accuracy.tolist()


def _gap(at) -> float:
    """How far the validation loss sits above the training loss over the last five epochs."""
    loss = _curves(at)["loss"].tail(5)
    return float((loss["validation"] - loss["train"]).mean())


def test_augmentation_narrows_the_train_validation_gap(cnn):
    augmented = _gap(_click(cnn, "cnn", "augment"))
    cnn.checkbox(key="cnn.augment").uncheck().run()
    assert not cnn.exception
    plain = _gap(cnn)
    assert abs(augmented) < 0.03 and plain > 2 * max(augmented, 0.01), (augmented, plain)


def _first_epoch_at(accuracy: pd.Series, level: float) -> int | None:
    """The 1-based epoch at which `accuracy` first reaches `level` (steps count from 0)."""
    reached = accuracy[accuracy >= level]
    return int(reached.index[0]) + 1 if len(reached) else None


def test_batch_norm_passes_97_percent_in_half_the_epochs(cnn):
    fast = _first_epoch_at(_curves(_click(cnn, "cnn", "batch_norm_fast"))["accuracy"]["validation"], 0.97)
    cnn.checkbox(key="cnn.batch_norm").uncheck().run()
    cnn.select_slider(key="cnn.lr").set_value(0.003).run()
    assert not cnn.exception
    plain = _first_epoch_at(_curves(cnn)["accuracy"]["validation"], 0.97)
    assert fast is not None and fast <= 3 and (plain is None or plain >= 2 * fast), (fast, plain)


def test_two_channels_underfit_where_16_and_32_fit(cnn):
    few = _curves(_click(cnn, "cnn", "too_few_channels"))["accuracy"]["train"].iloc[-1]
    cnn.slider(key="cnn.channels.0").set_value(16).run()
    cnn.slider(key="cnn.channels.1").set_value(32).run()
    assert not cnn.exception
    enough = _curves(cnn)["accuracy"]["train"].iloc[-1]
    assert few < 0.8 and enough > 0.95 and enough - few > 0.2, (few, enough)
