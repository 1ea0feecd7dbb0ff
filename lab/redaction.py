"""Database URLs without their secrets, for every message that names a store.

A URL's password hides between ``scheme://user:`` and the last ``@`` of the address (users
write passwords with a raw ``@`` in them), or in a ``password=`` query parameter. Both are
replaced by ``***``. String scans only: no regular expression that could backtrack.
"""

from __future__ import annotations

import re

_PASSWORD_PARAM = re.compile(r"(?i)([?&;]password=)[^&;#]*")


def redact(url: str) -> str:
    """The URL with any password replaced by ***."""
    text = str(url)
    span = _password_span(text)
    if span is not None:
        text = f"{text[:span[0]]}***{text[span[1]:]}"
    return _PASSWORD_PARAM.sub(r"\1***", text)


def redact_message(message: str, url: str) -> str:
    """`message` (a driver's error, which may quote the URL or the password) with `url`'s secrets hidden."""
    url = str(url)
    message = str(message).replace(url, redact(url))
    span = _password_span(url)
    secrets = [url[span[0]:span[1]]] if span is not None else []
    secrets += [url[m.end(1):m.end()] for m in _PASSWORD_PARAM.finditer(url)]
    # A driver reads ``user:p@ss@host`` up to the first "@", so it may quote "ss@host" as the
    # host: hide each "@"-separated piece of a password too (pieces of one character are kept).
    pieces = [piece for secret in secrets for piece in secret.split("@") if len(piece) > 1]
    for secret in sorted({*secrets, *pieces}, key=len, reverse=True):
        if secret:
            message = message.replace(secret, "***")
    return message


def _password_span(url: str) -> tuple[int, int] | None:
    """Where the password of ``scheme://user:password@host`` is, if there is one."""
    scheme_end = url.find("://")
    if scheme_end < 0:
        return None
    start = scheme_end + 3
    at = url.rfind("@", start)
    colon = url.find(":", start, at) if at >= 0 else -1
    return (colon + 1, at) if colon >= 0 else None
