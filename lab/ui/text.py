"""User text shown as text: CSV headers, run names, tags and file contents never render as Markdown.

Streamlit renders Markdown (links, images, colours, icons, emphasis, code, tables) in
`st.markdown`, `st.caption`, `st.error` and friends and in widget labels. `plain` escapes what
opens a link, an image, HTML, code, a colour, an icon, a table or a heading, so ``![x](http://host/a.png)`` in a header reads as
written and fetches nothing: ``\\ ` * [ ] < > ! ~ $ | # &``, a colon before a letter (``:red[``,
``:material/...:``) and a ``-``/``+``/``=`` at the start (a list or a heading). Parentheses,
dots and plain colons stay as they are (without ``[`` they make no link), and so do underscores:
field names such as ``batch_size`` read as written in every message, and Markdown never makes
emphasis of an underscore inside a word. One pass of one character class: linear in the text's length.
"""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*\[\]<>!~$|#&]|:(?=[A-Za-z])|^[-+=])")


def plain(text: object) -> str:
    """`text` escaped for Streamlit's Markdown, on one line."""
    one_line = str(text).replace("\r", " ").replace("\n", " ")
    return _SPECIAL.sub(r"\\\1", one_line)
