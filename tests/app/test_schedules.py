"""The Schedules page: preview, the chosen schedule beside a constant lr, presets, plateau cuts."""

from lab.experiments.descent import SCHEDULE_PRESETS
from tests.app.apptools import chart_data

PAGE = "pages/2_Schedules.py"


def test_default_view(open_app):
    at = open_app(PAGE)
    assert len(at.get("vega_lite_chart")) >= 3
    assert "constant lr" in _floors(at)
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


#: Each new schedule, a setting it alone shows (by widget key), and a setting of another schedule it must hide.
NEW_SCHEDULES = [
    ("multistep", "sch.schedule.milestones.0", "sch.schedule.decay"),
    ("polynomial", "sch.schedule.power", "sch.schedule.every"),
    ("cosine_restarts", "sch.schedule.t_mult", "sch.schedule.span"),
    ("cyclic", "sch.schedule.step_size_up", "sch.schedule.min_lr"),
    ("onecycle", "sch.schedule.pct_start", "sch.schedule.step_size_up"),
]


def _number(text: str) -> float | None:
    return None if text == "—" else float(text.replace(",", ""))


def _floors(at) -> dict[str, tuple[float | None, float | None]]:
    """Each run's noise floor and final lr, read off the page's metrics."""
    shown = {m.label: _number(m.value) for m in at.metric}
    runs = [label.split(" · ")[0] for label in shown if label.endswith(" · final lr")]
    return {run: (next(v for k, v in shown.items() if k.startswith(f"{run} · mean loss")), shown[f"{run} · final lr"]) for run in runs}


def _keys(at) -> set[str]:
    return {w.key for kind in ("slider", "number_input", "selectbox", "checkbox") for w in at.get(kind) if w.key}


def test_each_new_schedule_runs_with_only_its_settings(open_app):
    at = open_app(PAGE)
    for name, shown, hidden in NEW_SCHEDULES:
        before = chart_data(at)
        at.selectbox(key="sch.schedule.name").select(name).run()
        assert not at.exception, name
        assert not at.error, name
        keys = _keys(at)
        assert shown in keys and hidden not in keys, (name, sorted(k for k in keys if k.startswith("sch.schedule.")))
        assert chart_data(at) != before, name
        floors = _floors(at)
        assert len(floors) == 2 and all(lr is not None for _, lr in floors.values()), name


def test_cyclic_exp_range_shows_gamma_and_a_span_can_be_set(open_app):
    at = open_app(PAGE)
    at.selectbox(key="sch.schedule.name").select("cyclic").run()
    assert "sch.schedule.gamma" not in _keys(at)
    at.selectbox(key="sch.schedule.mode").select("exp_range").run()
    assert "sch.schedule.gamma" in _keys(at) and not at.exception and not at.error
    at.selectbox(key="sch.schedule.name").select("cosine").run()
    before = chart_data(at)
    at.number_input(key="sch.schedule.span").set_value(100).run()
    assert not at.exception and not at.error
    assert chart_data(at) != before


# ------------------------------------------------ each preset's lesson, read off the page


def _click(at, name):
    at.button(key=f"sch.preset.{name}").click().run()
    assert not at.exception and not at.error, name
    return _floors(at)


def _floor(floors, run):
    return floors[run][0]


def _charts(at) -> dict:
    """Each chart's title -> (spec, its first dataset as a frame)."""
    import json

    import pyarrow as pa

    out = {}
    for el in at.get("vega_lite_chart"):
        spec = json.loads(el.proto.spec)
        out[spec.get("title")] = (spec, pa.ipc.open_stream(el.proto.datasets[0].data.data).read_pandas())
    return out


def _colours(spec) -> dict:
    """Name -> colour of every colour scale in a (layered) spec."""
    found = {}
    for layer in [spec, *spec.get("layer", [])]:
        scale = layer.get("encoding", {}).get("color", {}).get("scale")
        if scale and "domain" in scale:
            found.update(zip(scale["domain"], scale["range"]))
    return found


def test_preset_decaying_lr_goes_below_the_noise_floor(open_app):
    at = open_app(PAGE)
    table = _click(at, "schedules/noise-floor")
    assert _floor(table, "Time-based") < _floor(table, "constant lr") / 2
    assert table["Time-based"][1] < table["constant lr"][1]


def test_preset_each_step_drop_lowers_the_floor(open_app):
    at = open_app(PAGE)
    table = _click(at, "schedules/step-decay")
    assert _floor(table, "Step") < _floor(table, "constant lr") / 10
    _, loss = _charts(at)["loss of noisy SGD on x² + y²"]
    step = loss[loss["run"] == "Step"]
    floors = [step[(step["step"] > end - 100) & (step["step"] <= end)]["actual"].mean() for end in (500, 1000, 1500, 2000)]
    assert all(later < earlier for earlier, later in zip(floors, floors[1:])), floors


def test_preset_plateau_cuts_the_lr_and_the_floor_drops(open_app):
    at = open_app(PAGE)
    table = _click(at, "schedules/plateau")
    assert _floor(table, "Reduce on plateau") < _floor(table, "constant lr") / 2
    assert table["Reduce on plateau"][1] < table["constant lr"][1]
    spec, _ = _charts(at)["learning rate during training"]
    assert any(layer.get("mark", {}).get("type") == "rule" for layer in spec["layer"])  # the cuts are marked


def test_a_schedule_has_one_colour_on_every_chart(open_app):
    at = open_app(PAGE)
    _click(at, "schedules/step-decay")
    charts = _charts(at)
    preview = _colours(charts["learning rate by step (before training)"][0])
    for title in ("loss of noisy SGD on x² + y²", "learning rate during training"):
        training = _colours(charts[title][0])
        assert training["Step"] == preview["Step (applied)"]
        assert training["constant lr"] == preview["Constant"]


def test_a_changed_schedule_reopened_from_its_url_shows_the_same_table(open_app):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = open_app(PAGE)
    _click(at, "schedules/plateau")
    at.slider(key="sch.schedule.patience").set_value(30).run()
    table = _floors(at)
    assert table["Reduce on plateau"][0] is not None
    fresh = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60)
    fresh.switch_page(PAGE)
    for key, value in at.query_params.items():
        fresh.query_params[key] = value[0] if isinstance(value, list) else value
    fresh.run()
    assert not fresh.exception and not fresh.warning
    assert _floors(fresh) == table
