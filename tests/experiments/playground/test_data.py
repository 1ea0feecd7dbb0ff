"""The Playground's data and config: seeded generators in the square, the CSV refusals, the declared limits."""

from __future__ import annotations

import numpy as np
import pytest

from lab.experiments.playground import CLASSIFICATION, REGRESSION, FeatureConfig, PlaygroundConfig
from lab.experiments.playground.data import RADIUS, from_csv, generate, load


@pytest.mark.parametrize("name", [*CLASSIFICATION, *REGRESSION])
def test_each_generator_is_seeded_shaped_and_in_the_square(name):
    X, y = generate(name, 60, 0.1, seed=3)
    again, other = generate(name, 60, 0.1, seed=3), generate(name, 60, 0.1, seed=4)
    assert X.shape == (60, 2) and y.shape == (60,)
    assert np.array_equal(X, again[0]) and np.array_equal(y, again[1]) and not np.array_equal(X, other[0])
    assert np.abs(X).max() < 2 * RADIUS
    if name in CLASSIFICATION:
        assert set(np.unique(y)) == {0.0, 1.0} and 20 <= y.sum() <= 40
    else:
        assert np.abs(y).max() < 1.6


def test_xor_labels_are_the_quadrants_and_the_split_is_stratified():
    X, y = generate("xor", 200, 0.0, seed=0)
    assert np.array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(float))
    points = load("xor", 200, 0.0, 0.3, 0, None)
    assert len(points.y_test) == 60 and abs(points.y_test.mean() - points.y_train.mean()) < 0.03


def test_a_csv_with_two_coordinates_and_a_two_valued_label_is_a_classification_in_the_square():
    rows = "\n".join(f"{i},{i * i % 7},{'ab'[i % 2]},{i % 2 * 3 + 2}" for i in range(12))
    X, y, task = from_csv(f"a,b,name,label\n{rows}\n".encode())
    assert task == "classification" and X.shape == (12, 2) and set(y) == {0.0, 1.0}
    assert X.min() == -RADIUS and X.max() == RADIUS
    X, y, task = from_csv(f"a,b,name,label\n{rows}\n".encode(), label="a")
    assert task == "regression" and y.min() == -1 and y.max() == 1


@pytest.mark.parametrize("text, label, words", [
    ("a,b\n" + "1,2\n" * 10, "", "needs two coordinates and a label"),
    ("a,b,c\n" + "1,2,3\n" * 10, "", "holds one value"),
    ("a,b,c\n" + "1,2,3\n" * 10, "zz", "not a numeric column"),
    ("a,b,c\n" + "1,2,3\n" * 9 + "1,2,4\n", "", "a class with one row"),
])
def test_a_csv_that_does_not_fit_is_refused_in_one_line(text, label, words):
    with pytest.raises(ValueError) as error:
        from_csv(text.encode(), label)
    assert words in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("changes, field", [
    ({"layers": 7}, "layers"), ({"neurons": (9, 4, 4, 4, 4, 4)}, "neurons[0]"), ({"neurons": (4, 4)}, "neurons"),
    ({"activations": ("swish",) * 6}, "activations[0]"), ({"features": {"x1": False, "x2": False}}, "features.x1"),
    ({"batch_norm": True, "batch_size": 1}, "batch_size"), ({"dataset": "iris"}, "dataset"),
])
def test_the_config_refuses_what_its_fields_do_not_allow_naming_the_field(changes, field):
    data = {**PlaygroundConfig().to_dict(), **changes}
    with pytest.raises(ValueError) as error:
        PlaygroundConfig.from_dict(data)
    assert str(error.value).startswith(f"{field}="), error.value


def test_the_network_uses_the_first_layers_slots_and_the_features_switched_on():
    config = PlaygroundConfig(layers=3, neurons=(2, 3, 5, 8, 8, 8), features=FeatureConfig(x1_x2=True, sin_x1=True))
    assert config.hidden == (2, 3, 5) and config.features.names == ("x1", "x2", "x1_x2", "sin_x1")
    experiment = config.replace(points=40).experiment()
    assert experiment.network.sizes == [4, 2, 3, 5, 1] and experiment.X_train.shape == (20, 4)
