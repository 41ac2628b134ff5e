"""A faster ``__init__`` and copy for the frozen, slotted dataclasses built on the hot path.

A frozen dataclass's ``__init__`` stores each field with ``object.__setattr__(self, name,
value)``: a lookup and a generic call per field. The coordinator builds about ten such
objects per event (commands, messages, decisions, events). Here the ``__init__`` is
regenerated, as ``dataclasses`` generates it, but storing each field through its slot's
descriptor, which writes past the frozen ``__setattr__`` just as ``object.__setattr__``
does, in about half the time. Same signature, same defaults; the class stays frozen
to everyone else (see ``replace_fields`` in the coordinator's state for the same technique).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, fields, is_dataclass
from typing import Any, TypeVar

Cls = TypeVar("Cls", bound=type)


def fast_frozen_init(cls: Cls) -> Cls:
    """Class decorator, applied over ``@dataclass(frozen=True, slots=True)``. TypeError for a
    class whose ``__init__`` does more than store its fields (a default factory, a
    ``__post_init__``, keyword-only or non-init fields): those keep the dataclass one."""
    _check(cls)
    names = [f.name for f in fields(cls)]
    defaults = {f"default_{f.name}": f.default for f in fields(cls) if f.default is not MISSING}
    arguments = [f"default_{n}" if f"default_{n}" in defaults else None for n in names]
    signature = ", ".join(
        name if default is None else f"{name}={default}"
        for name, default in zip(names, arguments, strict=True)
    )
    lines = [
        f"def __init__(self, {signature}):",
        *(f"    set_{name}(self, {name})" for name in names),
    ]
    init = _generated("__init__", lines, {**defaults, **_slot_setters(cls, names)})
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    cls.__init__ = init  # type: ignore[misc]
    return cls


def frozen_copier(cls: type) -> Callable[[Any, dict[str, Any]], Any]:
    """``copy(state, changes)``: ``dataclasses.replace(state, **changes)`` for ``cls``, one
    line per slot and no loop. An unknown field name is a TypeError, as with ``replace``;
    a class whose ``__init__`` does more than store its fields is refused."""
    names = [f.name for f in fields(cls)]
    if hasattr(cls, "__post_init__") or not all(f.init for f in fields(cls)):
        raise TypeError(f"{cls.__name__}: a copy would skip its __init__ logic")
    lines = [
        "def copy(state, changes):",
        "    if not changes.keys() <= names:",
        "        raise unknown(changes.keys() - names)",
        "    new = new_instance(cls)",
        "    get = changes.get",
        *(f"    set_{name}(new, get({name!r}, state.{name}))" for name in names),
        "    return new",
    ]
    namespace: dict[str, Any] = {
        "cls": cls,
        "names": frozenset(names),
        "new_instance": object.__new__,
        "unknown": lambda extra: TypeError(f"{cls.__name__} has no field {sorted(extra)}"),
        **_slot_setters(cls, names),
    }
    copy: Callable[[Any, dict[str, Any]], Any] = _generated("copy", lines, namespace)
    return copy


def _slot_setters(cls: type, names: list[str]) -> dict[str, Any]:
    """``set_<name>``: each slot's descriptor setter, which writes past the frozen
    ``__setattr__`` as ``object.__setattr__`` does."""
    return {f"set_{name}": cls.__dict__[name].__set__ for name in names}


def _generated(name: str, lines: list[str], namespace: dict[str, Any]) -> Any:
    """The function ``name`` defined by ``lines`` (built like a dataclass ``__init__``)."""
    exec("\n".join(lines), namespace)
    return namespace[name]


def _check(cls: type) -> None:
    params = getattr(cls, "__dataclass_params__", None)
    if not is_dataclass(cls) or params is None or not params.frozen:
        raise TypeError(f"{cls.__name__}: not a frozen dataclass")
    if "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__}: not slotted")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: its __post_init__ would be skipped")
    for f in fields(cls):
        if not f.init or f.kw_only or f.default_factory is not MISSING:
            raise TypeError(f"{cls.__name__}.{f.name}: only plain fields and plain defaults")
