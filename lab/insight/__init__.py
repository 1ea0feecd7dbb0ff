"""Insight into how a run converges, beside what it did: its measured rate against theory (`rates`,
`theory`), the stability map over two settings (`stability`), basins of attraction (`basins`), phase
notes on the recorded metrics (`phases`) and the spread over seeds (`seeds`). Pure numpy, pandas and
scipy; the pages draw them through `lab.ui.insight_views` and `lab.ui.seed_views`."""
