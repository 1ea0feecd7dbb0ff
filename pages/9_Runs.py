"""Runs: every run you made, saved; overlay any of them, see how their settings differ, export and import."""

import streamlit as st

from lab.ui import charts, page, runs
from lab.ui import runs_views as views
from lab.ui.text import plain

page.setup("runs")
store, ws = runs.open_store(), runs.workspace()

left, middle, right = st.columns(3)
summaries = store.list(ws)
labs = sorted({s.lab for s in summaries})
lab = left.selectbox("lab", ["all", *labs], key="runs.lab")
tag = middle.text_input("tag", key="runs.tag", placeholder="any tag")
kinds = right.multiselect("decision", sorted({s.decision_kind for s in summaries}), key="runs.kinds", format_func=lambda kind: kind.word)
shown = [s for s in summaries if (lab == "all" or s.lab == lab) and (not tag or tag in s.tags) and (not kinds or s.decision_kind in kinds)]

if not shown:
    st.info("No saved runs here yet. Every run you make in a lab is saved automatically." if not summaries else "No run matches these filters.")
else:
    st.dataframe(views.shown_table(shown), hide_index=True, width="stretch")
    names = {s.id: f"{s.name} · {s.lab} · {s.created_at[11:19]}" for s in shown}
    views.restore_choice(list(names))
    chosen_ids = st.multiselect("runs to compare, rename, tag, export or delete", list(names), key="runs.chosen", format_func=names.get)
    if chosen_ids:
        chosen = [store.get(ws, run_id) for run_id in chosen_ids]
        results = {f"{r.name} ({r.id[:6]})": r.result() for r in chosen}
        metrics = views.ordered(sorted({m for r in chosen for m in r.final()}))
        views.restore_metric(metrics)
        metric = st.selectbox("metric to overlay", metrics, key="runs.metric")
        log = st.toggle("log scale", value=views.spans_decades(results, metric), key=f"runs.log.{metric}")
        st.altair_chart(charts.runs_chart(results, metric, title=f"{metric} of the chosen runs", log=log, height=460,
                                          legend=len(results) <= views.MAX_LEGEND), width="stretch")
        if len(chosen) > 1:
            st.markdown("**Settings that differ**")
            st.dataframe(views.differences(chosen), width="stretch")
        if len(chosen) > views.MAX_LINKS:
            st.caption(f"Choose at most {views.MAX_LINKS} runs to get a link that reopens each in its lab.")
        for run in chosen if len(chosen) <= views.MAX_LINKS else []:
            target = views.link(run)
            if target:
                st.page_link(target[0], label=f"Open “{plain(run.name)}” in its lab", query_params=target[1], icon="↗️")
        a, b, c = st.columns(3)
        if len(chosen) == 1:
            name = a.text_input("rename", value=chosen[0].name, key=f"runs.name.{chosen[0].id}")
            if name != chosen[0].name and a.button("Save name", key="runs.rename"):
                runs.change(lambda: store.rename(ws, chosen[0].id, name))
        tags = b.text_input("tags (comma-separated)", key="runs.tags", placeholder="baseline, good")
        if b.button("Set tags", key="runs.settags"):
            runs.change(lambda: [store.set_tags(ws, run.id, [t.strip() for t in tags.split(",") if t.strip()]) for run in chosen])
        if c.checkbox("I want to delete the chosen runs", key="runs.confirm") and c.button("Delete", key="runs.delete", type="primary"):
            for run in chosen:
                store.delete(ws, run.id)
            st.rerun()
        d, e = st.columns(2)
        d.download_button("Export as JSON (full histories)", store.export_json(ws, chosen_ids), "runs.json", "application/json", key="runs.json")
        e.download_button("Export as CSV (run, step, metric, value)", store.export_csv(ws, chosen_ids), "runs.csv", "text/csv", key="runs.csv")

    views.publish(chosen_ids, metric if chosen_ids else None)

with st.expander("Import runs from a JSON export"):
    upload = st.file_uploader("run file", type=["json"], key="runs.import")
    if upload is not None:
        st.markdown(plain(runs.import_once(upload.getvalue())))
