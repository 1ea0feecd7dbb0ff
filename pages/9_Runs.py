"""Runs: every run you made, saved; overlay any of them, see how their settings differ, export and import."""

import streamlit as st

from lab.ui import charts, page, runs
from lab.ui import runs_views as views

page.setup("Runs", "🗂️", "Every run is saved. Pick several to overlay their curves and see which settings differ.")
store, ws = runs.run_store(), runs.workspace()

left, middle, right = st.columns(3)
summaries = store.list(ws)
labs = sorted({s.lab for s in summaries})
lab = left.selectbox("lab", ["all", *labs], key="runs.lab")
tag = middle.text_input("tag", key="runs.tag", placeholder="any tag")
kinds = right.multiselect("decision", sorted({s.decision_kind for s in summaries}), key="runs.kinds", format_func=charts.kind_label)
shown = [s for s in summaries if (lab == "all" or s.lab == lab) and (not tag or tag in s.tags) and (not kinds or s.decision_kind in kinds)]

if not shown:
    st.info("No saved runs here yet. Every run you make in a lab is saved automatically." if not summaries else "No run matches these filters.")
else:
    st.dataframe(views.table(shown), hide_index=True, width="stretch", column_config=views.table_columns())
    names = {s.id: f"{s.name} · {s.lab} · {s.created_at[11:19]}" for s in shown}
    chosen_ids = st.multiselect("runs to compare, rename, tag, export or delete", list(names), key="runs.chosen", format_func=names.get)
    if chosen_ids:
        chosen = [store.get(ws, run_id) for run_id in chosen_ids]
        results = {f"{r.name} ({r.id[:6]})": r.result() for r in chosen}
        metrics = sorted({m for r in chosen for m in r.final()})
        metric = st.selectbox("metric to overlay", views.ordered(metrics), key="runs.metric")
        log = st.toggle("log scale", key="runs.log")
        st.altair_chart(charts.runs_chart(results, metric, title=f"{metric} of the chosen runs", log=log), width="stretch")
        if len(chosen) > 1:
            st.markdown("**Settings that differ**")
            st.dataframe(views.differences(chosen), width="stretch")
        for run in chosen:
            target = views.link(run)
            if target:
                st.page_link(target[0], label=f"Open “{run.name}” in its lab", query_params=target[1], icon="↗️")
        a, b, c = st.columns(3)
        if len(chosen) == 1:
            name = a.text_input("rename", value=chosen[0].name, key=f"runs.name.{chosen[0].id}")
            if name != chosen[0].name and a.button("Save name", key="runs.rename"):
                store.rename(ws, chosen[0].id, name)
                st.rerun()
        tags = b.text_input("tags (comma-separated)", key="runs.tags", placeholder="baseline, good")
        if b.button("Set tags", key="runs.settags"):
            for run in chosen:
                store.set_tags(ws, run.id, [t.strip() for t in tags.split(",") if t.strip()])
            st.rerun()
        if c.checkbox("I want to delete the chosen runs", key="runs.confirm") and c.button("Delete", key="runs.delete", type="primary"):
            for run in chosen:
                store.delete(ws, run.id)
            st.rerun()
        d, e = st.columns(2)
        d.download_button("Export as JSON (full histories)", store.export_json(ws, chosen_ids), "runs.json", "application/json", key="runs.json")
        e.download_button("Export as CSV (run, step, metric, value)", store.export_csv(ws, chosen_ids), "runs.csv", "text/csv", key="runs.csv")

with st.expander("Import runs from a JSON export"):
    upload = st.file_uploader("run file", type=["json"], key="runs.import")
    if upload is not None:
        st.markdown(runs.import_once(upload.getvalue()))
