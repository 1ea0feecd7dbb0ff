"""`Config.to_dict` / `from_dict`: a lossless round trip, nested configs included."""

from __future__ import annotations

import pytest

from lab.experiments.classifier import ClassifierConfig
from lab.stopping.config import StoppingConfig


def test_a_nested_dict_names_its_class_and_loads_on_its_own():
    config = ClassifierConfig(stopping=ClassifierConfig().stopping.replace(patience=3))
    nested = config.to_dict()["stopping"]
    assert nested["__config__"] == "StoppingConfig"
    assert StoppingConfig.from_dict(nested) == config.stopping
    assert ClassifierConfig.from_dict(config.to_dict()) == config


def test_a_dict_naming_another_class_is_refused_by_name():
    with pytest.raises(ValueError, match="__config__"):
        StoppingConfig.from_dict({"__config__": "ScheduleConfig", "patience": 3})
