"""The first torch run after a server starts: what will train, on the board at once, while torch imports.

Importing torch and sklearn.metrics takes seconds on a small machine (7.5 s to the first
chart on Classifier, with nothing on the board). `announce(config)`, called by the Classifier
and CNN pages just before their live run, shows the data and the network from the config
(no torch needed) and a progress line, then imports the engine; later runs of the process
find torch imported and it draws nothing.
"""

from __future__ import annotations

import importlib
import sys
import time
from typing import Any

import streamlit as st

from lab.ui import live

#: config class -> the torch engine module its run imports.
ENGINES = {
    "ClassifierConfig": "lab.experiments.classifier.torch_engine",
    "CNNConfig": "lab.experiments.cnn.torch_engine",
}


def describe(config: Any) -> tuple[str, str]:
    """(the data, the network) of a Classifier or CNN config, in words."""
    if type(config).__name__ == "CNNConfig":
        from lab.experiments.cnn.data import split_digits

        d = split_digits(config.seed)
        blocks = " → ".join(f"conv {config.kernel_size}×{config.kernel_size} ({c} channels{', batch norm' * config.batch_norm}), "
                            "ReLU, max-pool 2" for c in config.channels)
        data = f"{len(d.y_train) + len(d.y_val) + len(d.y_test)} handwritten digits of 8×8 pixels, 10 classes"
        network = f"1×8×8 image → {blocks} → {'dropout, ' * (config.dropout > 0)}linear → 10 logits"
    else:
        from lab.experiments.classifier.data import split_data

        d = split_data(config.seed, config.standardize)
        widths = " → ".join(str(w) for w in (d.X_train.shape[1], *config.hidden, 1))
        data = f"{len(d.y_train) + len(d.y_val) + len(d.y_test)} patients, {d.X_train.shape[1]} features (breast-cancer data)"
        network = f"layer widths {widths} (one logit), {config.activation}{', batch norm' * config.batch_norm}"
    split = f"split {len(d.y_train)} train / {len(d.y_val)} validation / {len(d.y_test)} test"
    return f"{data}, {split}", network


def announce(config: Any) -> None:
    """Before the first torch run of the process: the data and the network, and a line while torch imports."""
    module = ENGINES.get(type(config).__name__)
    if module is None or getattr(config, "engine", "torch") != "torch" or module in sys.modules or live.workers():
        return  # with worker processes, torch is theirs to import: the server's progress line says so
    data, network = describe(config)
    st.markdown(f"**Data:** {data}  \n**Network:** {network}")
    with st.status("Importing torch (once per server start)…") as status:
        start = time.perf_counter()
        importlib.import_module(module)
        importlib.import_module("sklearn.metrics")
        status.update(label=f"torch imported in {time.perf_counter() - start:.1f} s; training starts", state="complete")
