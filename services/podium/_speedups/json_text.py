"""``json.dumps`` text for the coordinator's messages, without building an encoder per call.

``json.dumps(value)`` builds its C encoder anew on every call, which for the small values the
coordinator writes (five per step result: input, params, output and two details) costs more
than the encoding itself. The same C encoder with the same settings
as ``json.dumps``'s defaults is built once, so the text is the same. One difference: it does
not check for circular containers (that check keeps state in the encoder when a call fails).
Our values come from ``json.loads``, pipeline files or the machine and are trees; a cycle
would still fail, with RecursionError instead of ValueError.
"""

from __future__ import annotations

from collections.abc import Callable
from json import JSONEncoder
from json import encoder as _encoder
from typing import Any

JsonText = Callable[[Any], str]


def _text_encoder(default: Callable[[Any], Any]) -> JsonText:
    make = getattr(_encoder, "c_make_encoder", None)  # not in typeshed's stub
    if make is None:  # a Python without the _json accelerator: json.dumps's own path
        return JSONEncoder(default=default).encode
    # the arguments JSONEncoder.iterencode passes for json.dumps's defaults (ensure_ascii,
    # no indent, ", " and ": ", unsorted, no skipkeys, NaN allowed), markers aside
    escape = _encoder.encode_basestring_ascii
    encode = make(None, default, escape, None, ": ", ", ", False, False, True)

    def json_text(value: Any) -> str:
        return "".join(encode(value, 0))

    return json_text


json_text = _text_encoder(JSONEncoder().default)
"""``json.dumps(value)``."""
json_text_or_str = _text_encoder(str)
"""``json.dumps(value, default=str)``: a value JSON cannot hold is written as its str()."""
