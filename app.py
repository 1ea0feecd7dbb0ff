"""Home page: what convergence is, a card per lab, and gradient descent on x² to try at once."""

import streamlit as st

from lab import process
from lab.ui import form, home, links, nav, page
from lab.ui import insight_views as insight

st.set_page_config(page_title="Convergence Lab", page_icon="📉", layout="wide")
nav.sidebar()
st.title("📉 Convergence Lab")
st.markdown(
    "A run **converges** when its numbers settle where they should: the loss stops falling because it "
    "reached the bottom, not because the steps got stuck. It can also **stall** (steps too small), "
    "**oscillate** (steps that overshoot back and forth) or **diverge** (steps that overshoot further each "
    "time). Each lab below lets you move a setting and watch which one happens, with the stopping rule's "
    "decision marked on the chart and explained in words."
)

st.subheader("Try it: gradient descent on f(x) = x²")
st.session_state.setdefault("home.lr", home.DEMO_LR)
links.restore("home")  # ?lr=1.1 opens the demo at that rate
left, right = st.columns([1, 2])
with left:
    lr = form.select_slider("learning rate", home.DEMO_RATES, key="home.lr")
    st.markdown(home.demo_explanation(lr))
with right:
    result = home.demo(lr)
    st.altair_chart(insight.with_phases(home.demo_chart(result), result, "x"), width="stretch")
    page.decision_banner(result.decision)
    insight.rate_line(result)

st.subheader("The labs")
home.cards()
links.publish("home")
process.warm_kernels()  # after the page has drawn: no visitor of a compiled lab waits for numba
