"""``member.value`` of a ``StrEnum`` without Python calls.

pydantic reads ``.value`` for every status it encodes (each step's, on every changelog
write). ``Enum.value`` is a Python descriptor calling a Python getter; this C property
reads the same attribute. The plain way is simply not to set it (``Enum.value``):
``tests/unit/test_coordinator_state.py`` checks both give the same value for every member.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

fast_value: Any = property(attrgetter("_value_"))
"""Assign as ``value = fast_value`` in a ``StrEnum``'s body (it is not a member)."""
