"""Error text that is safe to put in a header: secrets masked, length capped.

Error messages can quote what failed, and what failed can be a connection
string or a config line. ``redact`` masks the usual shapes of a secret before
anything is written to a DLQ header or a log; ``cap`` bounds the length (a
header is not a place for a traceback). Always redact first, then cap.
"""

from __future__ import annotations

import re

MASK = "***"
ELLIPSIS = "..."

_SECRET_KEYS = (
    r"sasl_plain_password|ssl_password|password|passwd|pwd|secret|token|api[_-]?key"
    r"|access[_-]?key|private[_-]?key|credentials?|authorization|auth"
)
_TOKEN = r"""[^\s,;&"'}\]]+"""
_VALUE = rf"""(?:"[^"]*"|'[^']*'|(?:(?:bearer|basic)\s+)?{_TOKEN})"""
_KEY_VALUE = re.compile(rf"""((?:{_SECRET_KEYS})["']?\s*[:=]\s*){_VALUE}""", re.IGNORECASE)
"""``password=x``, ``"token": "x"``, ``Authorization: Bearer x``: the value goes."""
_SCHEME_AUTH = re.compile(rf"\b(bearer)\s+{_TOKEN}", re.IGNORECASE)
"""``Bearer x`` without a key before it (``Basic`` only after a key: it is a common word)."""
_URL_USERINFO = re.compile(r"(://[^/\s:@]+):[^\s@]*@")
"""``scheme://user:pass@host``: the password goes, the user stays (it helps debugging)."""


def redact(text: str) -> str:
    """``text`` with secret-looking values replaced by ``***``."""
    text = _URL_USERINFO.sub(rf"\1:{MASK}@", text)
    text = _KEY_VALUE.sub(rf"\1{MASK}", text)
    return _SCHEME_AUTH.sub(rf"\1 {MASK}", text)


def cap(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, marked with ``...`` when cut."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return text[: max(limit, 0)]
    return text[: limit - len(ELLIPSIS)] + ELLIPSIS


def safe_error(text: str, limit: int) -> str:
    """Redacted, valid UTF-8 and capped: what may go in a header or a log line."""
    clean = text.encode("utf-8", "replace").decode("utf-8")
    return cap(redact(clean), limit)
