"""Home page: what convergence is, a card per lab, and gradient descent on x² to try at once."""

import streamlit as st

from lab.ui import home, nav

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
left, right = st.columns([1, 2])
with left:
    lr = st.select_slider("learning rate", options=home.DEMO_RATES, value=0.1, key="home.lr")
    st.markdown(home.demo_explanation(lr))
with right:
    result = home.demo(lr)
    st.altair_chart(home.demo_chart(result), width="stretch")
    st.caption(result.decision.reason[0].upper() + result.decision.reason[1:])

st.subheader("The labs")
cards = nav.available()
for row in range(0, len(cards), 3):
    for column, card in zip(st.columns(3), cards[row : row + 3]):
        with column.container(border=True):
            st.markdown(f"**{card.icon} {card.title}**")
            st.caption(card.question)
            st.page_link(card.page, label=f"Open {card.title}", icon="➡️")
