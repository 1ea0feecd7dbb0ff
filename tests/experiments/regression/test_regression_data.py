"""Regression data: every unusable CSV gets a clear message; scaling never sees the validation rows."""

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from lab.experiments.regression.data import feature_scales, regression_data_from_csv, split_and_scale, synthetic


def _rows(n, columns=2):
    return "".join(",".join(str(i * (j + 1) % 7 + j) for j in range(columns)) + "\n" for i in range(n))


GOOD = ("a,b,y\n" + _rows(12, 3)).encode()


@pytest.mark.parametrize(
    "content, target, message",
    [
        (b"a,b\nx,y\n" * 6, "a", "no numeric column"),
        (("a,b,name\n" + "".join(f"{i},{i * 2},n{i}\n" for i in range(12))).encode(), "name", "'name' is text, not numbers; choose a numeric column: a, b"),
        (GOOD, "price", "'price' is not in the file; its columns are: a, b, y"),
        (("a,y\n" + _rows(9)).encode(), "y", "9 complete row"),
        (("a,y\n" + _rows(10) + "1,\n,2\n").encode(), "y", None),
        (("a,a,y\n" + _rows(12, 3)).encode(), "y", "repeats column name"),
        (("y\n" + "".join(f"{i}\n" for i in range(12))).encode(), "y", "no numeric column besides the target"),
        (b"", "y", "empty"),
    ],
)
def test_unusable_csv_is_refused_with_a_message(content, target, message):
    if message is None:
        X, y, names, notes = regression_data_from_csv(content, target)
        assert len(y) == 10 and names == ["a"]
        assert any("dropped 2 row(s)" in n for n in notes)
        return
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        regression_data_from_csv(content, target)


def test_csv_target_defaults_to_the_last_numeric_column():
    X, y, names, notes = regression_data_from_csv(GOOD.decode())
    assert names == ["a", "b"] and X.shape == (12, 2)
    assert any("'y'" in n for n in notes)


@pytest.mark.parametrize("scaling", ["standard", "minmax"])
def test_scaler_is_fit_on_the_training_split_only(scaling):
    X, y, _ = synthetic(200, 4, 1.0, None, 2.0, seed=1)
    X = X + [5.0, -3.0, 0.0, 100.0]
    split = split_and_scale(X, y, 0.25, scaling, seed=4)
    X_train_raw, X_val_raw, y_train, _ = train_test_split(X, y, test_size=0.25, random_state=4)
    assert np.array_equal(split.y_train, y_train)
    if scaling == "standard":
        assert np.allclose(split.X_train.mean(axis=0), 0, atol=1e-12)
        assert np.allclose(split.X_train.std(axis=0), 1)
        mean, std = X_train_raw.mean(axis=0), X_train_raw.std(axis=0)
    else:
        assert np.allclose(split.X_train.min(axis=0), 0) and np.allclose(split.X_train.max(axis=0), 1)
        mean, std = X_train_raw.min(axis=0), X_train_raw.max(axis=0) - X_train_raw.min(axis=0)
    assert np.allclose(split.X_val, (X_val_raw - mean) / std)
    assert not np.allclose(split.X_val.mean(axis=0), split.X_train.mean(axis=0), atol=1e-3)


def test_no_scaling_leaves_the_data_as_it_is():
    X, y, _ = synthetic(50, 3, 0.0, None, 0.0, seed=0)
    split = split_and_scale(X, y, 0.2, "none", seed=0)
    X_train, X_val, _, _ = train_test_split(X, y, test_size=0.2, random_state=0)
    assert np.array_equal(split.X_train, X_train) and np.array_equal(split.X_val, X_val)


def test_feature_spread_spans_the_decades_asked_for():
    scales = feature_scales(5, 4.0)
    assert scales[-1] / scales[0] == pytest.approx(1e4)
    assert scales[2] == pytest.approx(1.0)
    X_flat, y_flat, _ = synthetic(300, 5, 0.0, None, 0.0, seed=2)
    X, y, _ = synthetic(300, 5, 0.0, None, 4.0, seed=2)
    assert np.array_equal(y, y_flat)
    assert np.allclose(X, X_flat * scales)
