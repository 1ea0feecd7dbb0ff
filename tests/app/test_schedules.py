"""The Schedules page: preview, the chosen schedule beside a constant lr, presets, plateau cuts."""

from lab.experiments.descent import SCHEDULE_PRESETS
from tests.app.apptools import chart_data

PAGE = "pages/2_Schedules.py"


def test_default_view(open_app):
    at = open_app(PAGE)
    assert len(at.get("vega_lite_chart")) >= 3
    table = at.dataframe[0].value
    assert "constant lr" in set(table["run"])
    assert not at.error


def test_changing_the_schedule_redraws(open_app):
    at = open_app(PAGE)
    before = chart_data(at)
    at.selectbox(key="sch.schedule.name").select("cosine").run()
    assert not at.exception
    assert chart_data(at) != before


def test_each_preset_runs(open_app):
    at = open_app(PAGE)
    for name in SCHEDULE_PRESETS:
        at.button(key=f"sch.preset.{name}").click().run()
        assert not at.exception, name
        assert not at.error, name
