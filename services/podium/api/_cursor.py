"""Page cursors: where a page of runs ended, as an opaque string for ``?before=``. Pure.

The read model pages by key, ``(created_at, run_id)``; a caller gets the key of a
page's last run as ``next`` and hands it back unchanged. Opaque so that callers do not
build them (the key's shape may change), URL-safe so that it needs no quoting.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

RunKey = tuple[datetime, str]


def encode_cursor(key: RunKey) -> str:
    """``key`` as an opaque, URL-safe string."""
    text = json.dumps([key[0].isoformat(), key[1]], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> RunKey:
    """The key :func:`encode_cursor` wrote; ValueError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, run_id = json.loads(raw)
        moment = datetime.fromisoformat(created)
    except (binascii.Error, UnicodeDecodeError, TypeError, ValueError) as exc:
        raise ValueError(f"not a cursor from a page of runs: {cursor!r}") from exc
    if not isinstance(run_id, str) or moment.tzinfo is None:
        raise ValueError(f"not a cursor from a page of runs: {cursor!r}")
    return (moment, run_id)
