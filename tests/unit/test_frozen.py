"""``fast_frozen_init``: the dataclass's own ``__init__``, faster; the class stays frozen."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import pytest

from podium._speedups.frozen import fast_frozen_init


@dataclass(frozen=True, slots=True)
class Plain:
    name: str
    count: int
    note: str | None = None
    tags: tuple[str, ...] = ()


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class Fast:  # Plain's fields, with the fast __init__
    name: str
    count: int
    note: str | None = None
    tags: tuple[str, ...] = ()


CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("a", 1), {}),
    (("a", 1, "n"), {}),
    (("a",), {"count": 2, "tags": ("x",)}),
    ((), {"tags": ("y",), "count": 3, "name": "b", "note": "m"}),
]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_the_fields_are_those_the_dataclass_init_sets(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    fast, plain = Fast(*args, **kwargs), Plain(*args, **kwargs)
    assert dataclasses.astuple(fast) == dataclasses.astuple(plain)


@pytest.mark.parametrize(("args", "kwargs"), [(("a",), {}), (("a", 1), {"count": 2})])
def test_bad_calls_fail_as_with_the_dataclass_init(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    with pytest.raises(TypeError):
        Plain(*args, **kwargs)
    with pytest.raises(TypeError):
        Fast(*args, **kwargs)


def test_instances_stay_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Fast("a", 1).count = 2  # type: ignore[misc]


def test_an_init_doing_more_than_storing_fields_is_refused() -> None:
    @dataclass(frozen=True, slots=True)
    class Factory:
        items: list[int] = field(default_factory=list)

    @dataclass(frozen=True, slots=True)
    class PostInit:
        n: int

        def __post_init__(self) -> None: ...

    @dataclass(frozen=True)
    class NoSlots:
        n: int

    @dataclass(slots=True)
    class NotFrozen:
        n: int

    for cls in (Factory, PostInit, NoSlots, NotFrozen):
        with pytest.raises(TypeError):
            fast_frozen_init(cls)
