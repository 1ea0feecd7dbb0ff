"""The K-means page: default run, redraw on k, presets, the replay, uploads good and bad, choosing k."""

import numpy as np
import pytest

from lab.experiments.kmeans import PRESETS, KMeansConfig, elbow, make_data
from lab.ui import kmeans_views as views
from tests.app.apptools import chart_data

PAGE = "pages/7_K-means.py"


def _text(at):
    return " ".join(str(e.value) for e in [*at.success, *at.info, *at.warning, *at.error, *at.caption, *at.markdown])


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def _csv(at, name, text):
    at.file_uploader(key="km.file").set_value((name, text.encode(), "text/csv")).run()
    assert not at.exception


def test_default_view_converges_like_scikit_learn(open_app):
    at = open_app(PAGE)
    assert not at.error
    assert len(at.get("vega_lite_chart")) >= 4
    assert "converge" in at.success[0].value.lower()
    assert "same result" in _text(at)
    assert int(_metric(at, "iterations")) >= 2


def test_changing_k_redraws(open_app):
    at = open_app(PAGE)
    before = chart_data(at)
    at.slider(key="km.k").set_value(5).run()
    assert not at.exception and not at.error
    assert chart_data(at) != before
    assert "cluster 5" in " ".join(str(c) for c in chart_data(at))
    assert "same result" in _text(at)


def test_the_replay_shows_an_earlier_iteration(open_app):
    at = open_app(PAGE)
    before = chart_data(at)
    at.slider(key="km.scrub.step").set_value(0).run()
    assert not at.exception
    after = chart_data(at)
    assert after != before
    assert any(b"iteration 0:" in c for c in after)


def test_each_preset_runs_and_shows_its_lesson(open_app):
    at = open_app(PAGE)
    inertia = {}
    for name, preset in PRESETS.items():
        at.button(key=f"km.preset.{name}").click().run()
        assert not at.exception and not at.error, name
        assert preset.title in _text(at)
        assert "same result" in _text(at), name
        inertia[name] = float(_metric(at, "final inertia").replace(",", ""))
    at.button(key="km.preset.anisotropic_split").click().run()
    assert float(_metric(at, "ARI vs true groups")) < 0.7  # the stretched blobs are cut the wrong way
    assert float(_metric(at, "restarts")) == 10
    at.button(key="km.preset.stuck_random_init").click().run()
    at.selectbox(key="km.init").select("k-means++").run()
    at.slider(key="km.n_init").set_value(10).run()
    assert not at.exception
    assert float(_metric(at, "final inertia").replace(",", "")) < inertia["stuck_random_init"] / 2


def test_restarts_chart_marks_the_kept_restart(open_app):
    at = open_app(PAGE)
    at.slider(key="km.n_init").set_value(4).run()
    assert not at.exception
    specs = [el.proto.spec for el in at.get("vega_lite_chart")]
    assert any("final inertia of each restart" in s and "kept (lowest inertia)" in s for s in specs)


def test_large_data_is_subsampled_and_says_so(open_app):
    at = open_app(PAGE)
    at.slider(key="km.n_samples").set_value(25_000).run()
    assert not at.exception and not at.error
    text = _text(at)
    assert "random 5,000 of 25,000 points" in text
    assert "final cluster" in text


def test_more_features_are_drawn_on_principal_components(open_app):
    at = open_app(PAGE)
    at.slider(key="km.n_features").set_value(5).run()
    assert not at.exception and not at.error
    assert "principal components" in _text(at)
    assert any(b"PC1" in c for c in chart_data(at))


def test_bad_uploads_get_a_message_and_keep_the_last_result(open_app):
    at = open_app(PAGE)
    charts = len(at.get("vega_lite_chart"))
    at.selectbox(key="km.dataset").select("csv").run()
    assert "Upload a CSV" in _text(at)
    _csv(at, "words.csv", "name,colour\nx,y\nz,w\n")
    assert any("no numeric column" in e.value for e in at.error)
    assert len(at.get("vega_lite_chart")) >= charts
    _csv(at, "constant.csv", "a,b\n" + "1,2\n" * 20)
    assert any("constant" in e.value for e in at.error)
    assert len(at.get("vega_lite_chart")) >= charts
    _csv(at, "big.csv", "a\n" + "1\n" * 200_001)
    assert any("at most 200000" in e.value for e in at.error)
    assert len(at.get("vega_lite_chart")) >= charts


def test_uploaded_columns_are_clustered_and_missing_values_dropped(open_app):
    at = open_app(PAGE)
    at.selectbox(key="km.dataset").select("csv").run()
    rng = np.random.default_rng(0)
    rows = [f"{x:.4f},{y:.4f},{z:.4f},label" for x, y, z in rng.normal(size=(60, 3)) + np.repeat([[0, 0, 0], [8, 8, 8]], 30, axis=0)]
    rows[3] = "1.0,,2.0,label"
    _csv(at, "points.csv", "a,b,c,name\n" + "\n".join(rows))
    assert not at.error
    assert "dropped 1 row(s)" in _text(at)
    assert at.multiselect(key="km.columns").value == ["a", "b", "c"]
    assert "principal components" in _text(at)
    at.multiselect(key="km.columns").set_value(["a", "b"]).run()
    assert not at.exception and not at.error
    assert any(b'"title":"a"' in c or b'"title": "a"' in c for c in chart_data(at))
    at.multiselect(key="km.columns").set_value([]).run()
    assert any("at least one" in e.value for e in at.error)


def test_choosing_k_runs_only_when_opened(open_app):
    at = open_app(PAGE)
    assert not any(b"silhouette" in c for c in chart_data(at))
    at.session_state["km.choose_k"] = True
    at.run()
    assert not at.exception and not at.error
    assert any(b"silhouette score by k" in c for c in chart_data(at))


@pytest.mark.parametrize("seed", [0, 3])
def test_k_scan_inertia_is_the_engines_elbow(seed):
    X, _, _ = make_data(KMeansConfig(n_samples=300, centers=4, seed=seed))
    scan = views.k_scan(X, seed, 1e-4, 300)
    reference = elbow(X, views.KS, seed)
    assert list(scan["k"]) == [r["k"] for r in reference]
    np.testing.assert_allclose(scan["inertia"], [r["inertia"] for r in reference], rtol=1e-12)
    assert scan["silhouette"].between(-1, 1).all()


def test_the_banner_names_the_stop_rule(open_app):
    at = open_app(PAGE)
    at.select_slider(key="km.max_iter").set_value(1).run()
    assert not at.exception
    assert "max_iter = 1" in at.info[0].value
    at.select_slider(key="km.max_iter").set_value(300).run()
    at.select_slider(key="km.tol").set_value(0.0).run()
    assert not at.exception
    assert at.success[0].value.startswith("Strict convergence")
    assert "same result" in _text(at)


def test_charts_of_a_run_in_progress_have_no_decision_yet():
    import lab
    from lab.records import RunResult

    done = lab.run(KMeansConfig(n_samples=200))
    partial = RunResult(done.config, done.steps[:2], None, {}, 0.0)
    specs = [c.to_dict() for c in views.convergence_charts(partial)]
    assert len(specs) == 3
    assert all(len(s["layer"]) == 1 or "tol" in str(s) for s in specs)
    assert "stop:" not in str(specs)


@pytest.mark.parametrize("dataset", ["anisotropic", "moons", "circles", "uniform"])
def test_every_generated_dataset_runs(open_app, dataset):
    at = open_app(PAGE)
    at.selectbox(key="km.dataset").select(dataset).run()
    at.checkbox(key="km.standardize").check().run()
    assert not at.exception and not at.error
    assert "same result" in _text(at)
    assert (dataset == "uniform") == all(m.label != "ARI vs true groups" for m in at.metric)


def test_play_replays_from_the_first_iteration(open_app):
    at = open_app(PAGE)
    last = at.session_state["km.scrub.step"]
    at.button(key="km.scrub.toggle").click().run()
    assert not at.exception
    first = at.session_state["km.scrub.step"]
    assert first < last
    at.run()
    assert at.session_state["km.scrub.step"] > first


def test_more_clusters_than_uploaded_points_gets_a_message(open_app):
    at = open_app(PAGE)
    at.slider(key="km.k").set_value(8).run()
    at.selectbox(key="km.dataset").select("csv").run()
    _csv(at, "few.csv", "a,b\n1,2\n3,4\n5,7\n8,1\n")
    assert any("k=8 is larger than the number of points (4)" in e.value for e in at.error)
    assert "Showing the last result that ran" in _text(at)
    at.slider(key="km.k").set_value(2).run()
    assert not at.exception and not at.error
    assert "same result" in _text(at)
    assert any(b'"title":"a"' in c or b'"title": "a"' in c for c in chart_data(at))


def test_kmeanspp_preset_needs_fewer_iterations_on_the_page(open_app):
    """The lesson's claim, read off the page's "iterations" metric over seeds 0 to 9 for both inits."""
    at = open_app(PAGE)
    at.button(key="km.preset.kmeanspp_fewer_iterations").click().run()
    iterations = {}
    for init in ("k-means++", "random"):
        at.selectbox(key="km.init").select(init).run()
        iterations[init] = []
        for seed in range(10):
            at.number_input(key="km.seed").set_value(seed).run()
            assert not at.exception and not at.error
            assert "converge" in at.success[0].value.lower()
            iterations[init].append(int(_metric(at, "iterations")))
    assert np.mean(iterations["k-means++"]) <= 0.75 * np.mean(iterations["random"]), iterations
