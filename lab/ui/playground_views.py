"""The Playground page's views: the output surface, every neuron's map, the network diagram, the curves,
the replay controls and the backpropagation walk.

Colours are TensorFlow Playground's: orange for class 0 (or -1), blue for class 1 (or +1), white
between. While a run trains, the board draws the `Film`'s live network; a finished run draws its
recorded frames, which the replay controls step through.
"""

from __future__ import annotations

import base64
import dataclasses
import io
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image, ImageColor

from lab.experiments.playground import EXTENT, FEATURES, MAX_LAYERS, NEURON_GRID, OUTPUT_GRID, Film, Frame, backprop
from lab.experiments.playground.data import DATASETS
from lab.records import RunResult
from lab.ui import charts, form, nets_views, scrubber
from lab.ui.numbers import number

ORANGE, WHITE, BLUE = "#f59322", "#e8eaeb", "#0877bd"
#: The values drawn orange, white and blue: class 0 to 1 (a probability), or a target from -1 to 1.
DOMAINS = {"classification": (0.0, 0.5, 1.0), "regression": (-1.0, 0.0, 1.0)}
#: The output surface's and each neuron map's side in pixels (a whole number of pixels per grid cell).
SURFACE_PX, NEURON_PX = 10 * OUTPUT_GRID, 5 * NEURON_GRID
LOSSES = {"train/loss": "train", "val/loss": "test"}
ACCURACIES = {"train/accuracy": "train", "val/accuracy": "test"}
DATASET_LABELS = {"circle": "circle", "xor": "XOR", "gaussians": "two Gaussians", "spiral": "spiral", "moons": "moons",
                  "plane": "plane (regression)", "bumps": "two bumps (regression)", "csv": "my CSV"}
PENALTIES = [0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
BATCHES = [1, 2, 5, 10, 20, 50, 100, 250, 500, 1000]


def _rgb(values: np.ndarray, task: str) -> np.ndarray:
    """Values on the Playground's colour scale (`_scale`: orange, white, blue over the task's domain,
    clamped, interpolated in RGB), as uint8 RGB."""
    domain = DOMAINS[task]
    values = np.nan_to_num(values, nan=domain[1])
    channels = np.array([ImageColor.getrgb(c) for c in (ORANGE, WHITE, BLUE)], dtype=float).T
    return np.rint(np.stack([np.interp(values, domain, channel) for channel in channels], axis=-1)).astype(np.uint8)


def heat_image(values: np.ndarray, task: str, pixels: int) -> str:
    """A square grid of values (`lab.experiments.playground.grid`'s order: rows from the top, x rising
    along a row) as a PNG data URL, each cell `pixels` wide. One image draws in the browser at a
    fraction of the cost of a rectangle per cell."""
    n = int(round(np.sqrt(values.size)))
    image = _rgb(np.asarray(values, dtype=float).reshape(n, n), task).repeat(pixels, axis=0).repeat(pixels, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(image, "RGB").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _scale(task: str) -> alt.Scale:
    return alt.Scale(domain=list(DOMAINS[task]), range=[ORANGE, WHITE, BLUE], clamp=True, interpolate="rgb")


# ---- settings ---------------------------------------------------------------------------------

def data_controls(prefix: str) -> Film | None:
    """Dataset, its CSV upload, noise, points, test share; the Film that carries the upload (None: a CSV is still missing)."""
    dataset = form.selectbox("data", DATASETS, key=form.key(prefix, "dataset"), format_func=DATASET_LABELS.get)
    upload = None
    if dataset == "csv":
        file = st.file_uploader("CSV: two numeric columns and a label column", type=["csv", "txt"], key=f"{prefix}.file")
        st.text_input("label column (empty: the last one)", key=form.key(prefix, "label"))
        if file is None:
            return None
        upload = file.getvalue()
    else:
        form.slider("noise", key=form.key(prefix, "noise"), step=0.05)
        form.slider("points", 20, 1000, key=form.key(prefix, "points"), step=20)
    form.slider("test share", key=form.key(prefix, "test_ratio"), step=0.1)
    st.checkbox("show test points", key=f"{prefix}.show_test")
    return Film(upload)


def feature_controls(prefix: str) -> None:
    st.markdown("**Inputs**")
    columns = st.columns(2)
    for n, (name, (label, _)) in enumerate(FEATURES.items()):
        columns[n % 2].checkbox(label, key=form.key(prefix, f"features.{name}"))


def network_controls(prefix: str) -> None:
    """Hidden layers, then each layer's neurons and activation."""
    layers = form.slider("hidden layers", key=form.key(prefix, "layers"))
    for i in range(layers):
        left, right = st.columns(2)
        form.number_input(f"layer {i + 1} neurons", key=form.key(prefix, f"neurons.{i}"), container=left)
        form.selectbox(f"layer {i + 1} activation", key=form.key(prefix, f"activations.{i}"), container=right)
    st.checkbox("batch norm", key=form.key(prefix, "batch_norm"))
    form.slider("dropout", key=form.key(prefix, "dropout"), step=0.05)
    form.select_slider("L2 rate", PENALTIES, key=form.key(prefix, "l2"), format_func=lambda v: f"{v:g}")
    form.select_slider("L1 rate", PENALTIES, key=form.key(prefix, "l1"), format_func=lambda v: f"{v:g}")


def training_controls(prefix: str, optimizers: tuple[str, ...]) -> None:
    nets_views.optimizer_controls(prefix, optimizers)
    form.select_slider("batch size", BATCHES, key=form.key(prefix, "batch_size"))
    form.slider("epochs", 1, 2000, key=form.key(prefix, "epochs"))


# ---- the board ----------------------------------------------------------------------------------

def surface_chart(frame: Frame, result: RunResult, show_test: bool) -> alt.LayerChart:
    """The output surface as a heatmap over the plane, with the training (and test) points on it."""
    task, points = result.artifacts.get("task") or result.config.task, _points(result)
    axis = dict(scale=alt.Scale(domain=[-EXTENT, EXTENT], nice=False))
    plane = pd.DataFrame({"x": [-EXTENT], "x2": [EXTENT], "y": [-EXTENT], "y2": [EXTENT],
                          "url": [heat_image(frame.output, task, SURFACE_PX // OUTPUT_GRID)]})
    heat = alt.Chart(plane).mark_image(aspect=False).encode(
        x=alt.X("x:Q", title="x₁", **axis), x2="x2:Q", y=alt.Y("y:Q", title="x₂", **axis), y2="y2:Q", url="url:N",
        tooltip=alt.value(None))
    layers = [heat]
    if points is not None:
        dots = [("train", points.X_train, points.y_train)] + [("test", points.X_test, points.y_test)] * show_test
        frame_points = pd.concat([pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "y": y, "split": name}) for name, X, y in dots])
        layers.append(alt.Chart(frame_points).mark_circle(size=28, opacity=1, strokeWidth=1).encode(
            x=alt.X("x1:Q"), y=alt.Y("x2:Q"), color=alt.Color("y:Q", scale=_scale(task), legend=None),
            stroke=alt.Stroke("split:N", scale=alt.Scale(domain=["train", "test"], range=["white", "black"]), legend=None),
            tooltip=[alt.Tooltip("split:N"), alt.Tooltip("x1:Q", format=".2f"), alt.Tooltip("x2:Q", format=".2f"),
                     alt.Tooltip("y:Q", title="label", format=".3g")]))
    return alt.LayerChart(layer=layers, title=f"output at epoch {frame.epoch}", width=SURFACE_PX, height=SURFACE_PX)


def _points(result: RunResult) -> Any:
    return result.artifacts.get("points")


def neuron_chart(frame: Frame, features: list[str]) -> alt.FacetChart:
    """Every neuron's output over the plane, a small map each (an image), one column per layer (inputs first)."""
    rows = []
    for layer, values in enumerate(frame.neurons):
        peak = np.maximum(np.abs(values).max(axis=0), 1e-12)
        for j in range(values.shape[1]):
            rows.append({"layer": "inputs" if layer == 0 else f"layer {layer}", "row": j,
                         "neuron": features[j] if layer == 0 else f"{j + 1}", "x": -EXTENT, "x2": EXTENT, "y": -EXTENT,
                         "y2": EXTENT, "url": heat_image(values[:, j] / peak[j], "regression", NEURON_PX // NEURON_GRID)})
    order = ["inputs", *(f"layer {i}" for i in range(1, MAX_LAYERS + 1))]
    plane = dict(axis=None, scale=alt.Scale(domain=[-EXTENT, EXTENT], nice=False))
    return alt.Chart(pd.DataFrame(rows), width=NEURON_PX, height=NEURON_PX).mark_image(aspect=False).encode(
        x=alt.X("x:Q", **plane), x2="x2:Q", y=alt.Y("y:Q", **plane), y2="y2:Q", url="url:N",
        tooltip=[alt.Tooltip("layer:N"), alt.Tooltip("neuron:N")],
    ).facet(
        column=alt.Column("layer:N", sort=order, title=None, header=alt.Header(labelFontSize=11)),
        row=alt.Row("row:O", title=None, header=alt.Header(labels=False)), spacing=4,
        title="every neuron's output (each scaled to its own largest |value|)")


def diagram_chart(frame: Frame, features: list[str], labels: dict[tuple[int, int], str] | None = None,
                  edge_labels: dict[tuple[int, int, int], str] | None = None) -> alt.LayerChart:
    """The network as nodes by layer and lines between them: colour = the weight's sign, width = its size.

    `labels` write numbers on nodes ((layer, neuron) -> text) and `edge_labels` on weights
    ((layer, source, target) -> text), as the backprop walk shows them.
    """
    sizes = [len(features), *(frame.params[f"W{i}"].shape[1] for i in range(len([k for k in frame.params if k.startswith("W")])))]
    pos = {(layer, j): (layer, (n - 1) / 2 - j) for layer, n in enumerate(sizes) for j in range(n)}
    edges = []
    for i in range(len(sizes) - 1):
        W = frame.params[f"W{i}"]
        for s in range(W.shape[0]):
            for t in range(W.shape[1]):
                (x, y), (x2, y2) = pos[(i, s)], pos[(i + 1, t)]
                text = (edge_labels or {}).get((i + 1, s, t), "")
                edges.append({"x": x, "y": y, "x2": x2, "y2": y2, "w": float(W[s, t]), "size": abs(float(W[s, t])),
                              "sign": "positive" if W[s, t] >= 0 else "negative", "label": text, "mx": x + 0.3 * (x2 - x), "my": y + 0.3 * (y2 - y)})
    edge_frame = pd.DataFrame(edges)
    names = [*features, *(f"{j + 1}" for n in sizes[1:-1] for j in range(n)), "out"]
    nodes = pd.DataFrame([{"x": x, "y": y, "name": name, "label": (labels or {}).get(key, "")}
                          for (key, (x, y)), name in zip(pos.items(), names)])
    lines = alt.Chart(edge_frame).mark_rule(opacity=0.8).encode(
        x=alt.X("x:Q", axis=None), y=alt.Y("y:Q", axis=None), x2=alt.X2("x2:Q"), y2=alt.Y2("y2:Q"),
        color=alt.Color("sign:N", scale=alt.Scale(domain=["negative", "positive"], range=[ORANGE, BLUE]), legend=alt.Legend(orient="bottom", title="weight")),
        strokeWidth=alt.StrokeWidth("size:Q", scale=alt.Scale(range=[0.3, 6]), legend=None),
        tooltip=[alt.Tooltip("w:Q", title="weight", format=".4f")])
    dots = alt.Chart(nodes).mark_circle(size=500, color="#555", opacity=1).encode(
        x=alt.X("x:Q"), y=alt.Y("y:Q"), tooltip=[alt.Tooltip("name:N", title="neuron"), alt.Tooltip("label:N", title="value")])
    names_text = alt.Chart(nodes).mark_text(color="white", fontSize=9).encode(x=alt.X("x:Q"), y=alt.Y("y:Q"), text=alt.Text("name:N"))
    layers = [lines, dots, names_text]
    if labels:
        layers.append(alt.Chart(nodes).mark_text(dy=-16, fontSize=10, fontWeight="bold").encode(x=alt.X("x:Q"), y=alt.Y("y:Q"), text=alt.Text("label:N")))
    if edge_labels:
        layers.append(alt.Chart(edge_frame).mark_text(fontSize=9, color="#222").encode(x=alt.X("mx:Q"), y=alt.Y("my:Q"), text=alt.Text("label:N")))
    return alt.LayerChart(layer=layers, title="weights: colour = sign, width = size", height=340)


def curves(result: RunResult) -> list[alt.LayerChart]:
    """Train and test loss (log scale), and accuracy for classification, the decision marked on each."""
    history = result.history()
    last = max(1, result.steps[-1].step) if result.steps else 1
    out = [charts.line_chart(charts.select_metrics(history, list(LOSSES), LOSSES), title="loss (log scale)", log=True,
                             decision=result.decision, x_title="epoch", height=260, x_domain=(0, last))]
    accuracy = charts.select_metrics(history, list(ACCURACIES), ACCURACIES)
    if len(accuracy):
        out.append(charts.line_chart(accuracy, title="accuracy", decision=result.decision, x_title="epoch", height=260,
                                     x_domain=(0, last), y_domain=(0.0, 1.0)))
    return out


def readouts(result: RunResult) -> None:
    """The epoch counter, the test scores and the first and last layer's gradient norms."""
    last = result.steps[-1].metrics if result.steps else {}
    test = result.artifacts.get("test", {})
    accuracy = test.get("accuracy", last.get("val/accuracy"))
    items = [("epoch", str(result.steps[-1].step if result.steps else 0), "epochs trained (counted from 0)"),
             ("test loss", number(test.get("loss", last.get("val/loss", float("nan"))), 3), "data loss on the held-out points"),
             ("test accuracy", "—" if accuracy is None else f"{accuracy:.1%}", "share of held-out points on the right side"),
             ("first layer ∇", number(last.get("grad/first", float("nan")), 2), "norm of dJ/dW of the first layer"),
             ("last layer ∇", number(last.get("grad/last", float("nan")), 2), "norm of dJ/dW of the output layer")]
    nets_views.metric_row(items)


def board(prefix: str, result: RunResult, frame: Frame | None) -> None:
    """Surface, diagram, neuron maps and curves for one frame (no widgets: the live draw calls it)."""
    features = result.artifacts.get("features") or list(result.config.features.labels)
    readouts(result)
    if frame is not None:
        left, right = st.columns([1, 1])
        left.altair_chart(surface_chart(frame, result, st.session_state.get(f"{prefix}.show_test", False)))
        right.altair_chart(diagram_chart(frame, features), width="stretch")
        st.altair_chart(neuron_chart(frame, features))
    for chart, column in zip(curves(result), st.columns(2)):
        column.altair_chart(chart, width="stretch")


def live(prefix: str, result: RunResult, film: Film) -> None:
    """The board while training: the network as it is now (`Film.now`: here, or as its worker last
    sent it), over the run's points."""
    board(prefix, dataclasses.replace(result, artifacts={"points": film.points, **result.artifacts}), film.now())


def finished(prefix: str, result: RunResult) -> None:
    """A finished run: the decision, the replay of its recorded frames, then the backprop walk."""
    frames = result.artifacts.get("frames") or {}
    epochs = list(frames)
    if not epochs:
        board(prefix, result, None)
        return
    key = f"{prefix}.replay"
    st.caption("Replay the recorded epochs: Play, Pause, Step one epoch, Reset, or drag the slider.")
    step, reset = st.columns(2)
    step.button("⏭ Step one epoch", key=f"{key}.next", on_click=_move, args=(key, 1, len(epochs) - 1))
    reset.button("⏮ Reset", key=f"{key}.reset", on_click=_move, args=(key, None, len(epochs) - 1))
    scrubber.scrubber(key, len(epochs) - 1, lambda i: board(prefix, _until(result, epochs[i]), frames[epochs[i]]),
                      label="recorded frame")
    walk_section(prefix, result)


def _move(key: str, by: int | None, last: int) -> None:
    """Step the replay one recorded frame on (by=1), or back to the first (by=None)."""
    now = st.session_state.get(f"{key}.step", last)
    st.session_state[f"{key}.step"] = 0 if by is None else min(last, now + by)
    st.session_state[f"{key}.playing"] = False


def _until(result: RunResult, epoch: int) -> RunResult:
    """The run as it stood at `epoch` (its curves up to there; the decision only at the end)."""
    steps = [s for s in result.steps if s.step <= epoch]
    at_end = not result.steps or epoch >= result.steps[-1].step
    return RunResult(result.config, steps, result.decision if at_end else None, result.artifacts if at_end else
                     {k: v for k, v in result.artifacts.items() if k != "test"}, result.seconds)


# ---- the backprop walk ---------------------------------------------------------------------------

PHASE_TITLES = {"forward": "1 · forward pass", "loss": "2 · loss", "backward": "3 · backward pass", "update": "4 · update"}


def walk_section(prefix: str, result: RunResult) -> None:
    """Backpropagation step by step on the trained network: one phase per click, numbers on the diagram and in tables."""
    network, inputs = result.artifacts.get("network"), result.artifacts.get("inputs")
    if network is None or inputs is None:
        return
    X, y = inputs
    st.subheader("Backpropagation step by step")
    phase_key = f"{prefix}.walk.phase"
    left, middle, right = st.columns(3)
    for name, most in (("point", len(y) - 1), ("size", min(10, len(y)))):  # a smaller data set than the last run's
        key = f"{prefix}.walk.{name}"
        if st.session_state.get(key, 0) > most:
            st.session_state[key] = most
    point = left.number_input("training point", 0, len(y) - 1, key=f"{prefix}.walk.point", on_change=_restart, args=(phase_key,))
    size = middle.number_input("points in the batch", 1, min(10, len(y)), key=f"{prefix}.walk.size", on_change=_restart,
                               args=(phase_key,), help="from the chosen point on (fewer at the end of the training split)")
    right.button("Next phase ▶", key=f"{prefix}.walk.next", on_click=_next_phase, args=(phase_key,))
    phase = st.session_state.get(phase_key, 0)
    if phase == 0:
        st.caption("Click Next phase to walk one forward pass, the loss, the backward pass and the update.")
        return
    c = result.config
    lr = result.last("lr", c.lr)
    walk = backprop.walk(network, X[point:point + size], y[point:point + size], lr, c.l1, c.l2)
    name = backprop.PHASES[phase - 1]
    st.markdown(f"**{PHASE_TITLES[name]}**")
    features = result.artifacts.get("features") or list(c.features.labels)
    frame = Frame(-1, np.zeros(0), [], network.params)
    neurons = pd.DataFrame(walk.neurons)
    weights = pd.DataFrame(walk.weights)
    if name == "forward":
        labels = {(r.layer, r.neuron - 1): f"a={r.a:.3g}" for r in neurons.itertuples()}
        st.altair_chart(diagram_chart(frame, features, labels), width="stretch")
        st.dataframe(neurons[["layer", "neuron", "z", "a"]], hide_index=True)
    elif name == "loss":
        st.metric("loss J (data loss + penalty)", number(walk.loss))
        st.dataframe(pd.DataFrame({"prediction": walk.prediction, "target": walk.target}), hide_index=True)
    elif name == "backward":
        labels = {(r.layer, r.neuron - 1): f"δ={r.delta:.2g}" for r in neurons.itertuples()}
        edges = {(r.layer, r.source, r.target): f"{r.grad:.2g}" for r in weights.itertuples() if r.source is not None}
        st.altair_chart(diagram_chart(frame, features, labels, edges), width="stretch")
        table = weights[["name", "source", "target", "grad", "finite_difference"]].assign(
            difference=(weights["grad"] - weights["finite_difference"]).abs())
        st.metric("largest |gradient − finite difference|", number(float(table["difference"].max()), 2))
        st.dataframe(table, hide_index=True)
    else:
        st.latex(r"w \leftarrow w - \alpha\,\frac{\partial J}{\partial w},\quad \alpha = " + f"{lr:.4g}")
        st.metric("loss after the update", number(walk.loss_after), delta=number(walk.loss_after - walk.loss), delta_color="inverse")
        st.dataframe(weights[["name", "source", "target", "w", "grad", "step", "new_w"]], hide_index=True)


def _restart(phase_key: str) -> None:
    st.session_state[phase_key] = 0


def _next_phase(phase_key: str) -> None:
    st.session_state[phase_key] = st.session_state.get(phase_key, 0) % len(backprop.PHASES) + 1

