"""A preset's lesson box stays while the page shows the preset's run and clears once a setting leaves it."""

from __future__ import annotations

import pytest

#: page file, widget prefix, the preset clicked, a setting changed afterwards (key suffix, new value)
PAGES = [
    ("pages/1_Optimizers.py", "opt", "seed", 7),
    ("pages/2_Schedules.py", "sch", "seed", 7),
    ("pages/3_Early_stopping.py", "es", "seed", 7),
    ("pages/4_Regression.py", "reg", "seed", 7),
    ("pages/5_Classifier.py", "clf", "seed", 7),
    ("pages/6_CNN.py", "cnn", "seed", 7),
    ("pages/7_K-means.py", "km", "seed", 7),
]


def _lessons(at) -> list[str]:
    return [i.value for i in at.info if i.value.startswith("**")]


@pytest.mark.parametrize(("page", "prefix", "setting", "value"), PAGES, ids=["opt", "sch", "es", "reg", "clf", "cnn", "km"])
def test_the_lesson_clears_when_the_settings_leave_the_preset(open_app, page, prefix, setting, value):
    at = open_app(page, timeout=180)
    first = next(b for b in at.button if b.key and b.key.startswith(f"{prefix}.preset."))
    first.click().run()
    assert not at.exception, at.exception
    assert len(_lessons(at)) == 1
    at.run()  # nothing changed: the run on screen is still the preset's
    assert len(_lessons(at)) == 1
    at.number_input(key=f"{prefix}.{setting}").set_value(value).run()
    assert not at.exception, at.exception
    assert _lessons(at) == []
