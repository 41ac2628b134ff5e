"""The run views in order, so listing a page walks a few runs instead of sorting all. Pure.

A :class:`RunTable` holds the views by id and sorted lists of keys, kept with ``bisect``
as views are put and dropped:

- every run by ``(created_at, run_id)`` (what ``GET /v1/runs`` pages through, newest
  first, from the key the page before ended at);
- the same per pipeline name and per status (a ``?pipeline=`` or ``?status=`` page walks
  only its own list: a status no run has costs nothing);
- each pipeline's finished runs by ``(finished_at, run_id)`` (its recent stats);
- and, not an order, the runs by the text of each scalar param value, so a ``q``
  search checks a set instead of every run's params.

A view's ``created_at`` can still move (an earlier event read late), a run id can start
again as a new run, and its status moves on: :meth:`RunTable.put` moves a run's key in
each list whose key or group changed (only those: most events change none, a status
change one), so the lists always match the views.
"""

from __future__ import annotations

import json
from bisect import bisect_left, insort
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from podium.contract import RunStatus
from podium.runs._view import RunView

Key = tuple[datetime, str]
"""A run's place in an order: (a time, its run id), so equal times still order."""


@dataclass(frozen=True, slots=True)
class _Place:
    """Where a run stands in the lists, to find and move it there."""

    pipeline: str
    status: RunStatus
    created: Key
    finished: Key | None
    texts: frozenset[str]

    def entries(self) -> dict[str, tuple[str, Key] | None]:
        """For each ordered list: (its group, this run's key in it), None: not in it."""
        finished = None if self.finished is None else (self.pipeline, self.finished)
        return {
            ALL: ("", self.created),
            BY_PIPELINE: (self.pipeline, self.created),
            BY_STATUS: (self.status.value, self.created),
            FINISHED: finished,
        }


ALL, BY_PIPELINE, BY_STATUS, FINISHED = "all", "pipeline", "status", "finished"


class RunTable:
    """Run views by id, with the order indexes that paging and stats walk."""

    def __init__(self) -> None:
        self._views: dict[str, RunView] = {}
        self._places: dict[str, _Place] = {}
        self._lists: dict[str, dict[str, list[Key]]] = {
            name: {} for name in (ALL, BY_PIPELINE, BY_STATUS, FINISHED)
        }
        self._by_param_text: dict[str, set[str]] = {}

    @property
    def views(self) -> Mapping[str, RunView]:
        return self._views

    def __len__(self) -> int:
        return len(self._views)

    def get(self, run_id: str) -> RunView | None:
        return self._views.get(run_id)

    def put(self, view: RunView) -> None:
        """Store ``view`` (new or replacing its run's), moving its keys if they changed."""
        old = self._views.get(view.run_id)
        self._views[view.run_id] = view
        before = self._places.get(view.run_id)
        same_params = old is not None and before is not None and old.params is view.params
        place = _place_of(view, before.texts if same_params and before else None)
        if before != place:
            self._places[view.run_id] = place
            self._move(view.run_id, before, place)

    def drop(self, run_id: str) -> None:
        """Forget the run; unknown ids are ignored."""
        self._views.pop(run_id, None)
        place = self._places.pop(run_id, None)
        if place is not None:
            self._move(run_id, place, None)

    def newest_first(
        self,
        before: Key | None = None,
        *,
        pipeline: str | None = None,
        status: RunStatus | None = None,
    ) -> Iterator[Key]:
        """Keys older than ``before``, newest first: of every run, or of a list holding at
        least the runs of ``pipeline`` and ``status`` (the shorter one when both are given:
        the caller still checks the other). Walk it within one call: a put shifts it."""
        keys = self._order_for(pipeline, status)
        start = len(keys) if before is None else bisect_left(keys, before)
        for i in range(start - 1, -1, -1):
            yield keys[i]

    def last_finished(self, pipeline: str, count: int) -> list[RunView]:
        """The ``count`` runs of ``pipeline`` that finished last, the latest first."""
        keys = self._lists[FINISHED].get(pipeline, [])
        return [self._views[run_id] for _, run_id in reversed(keys[-count:])] if count > 0 else []

    def with_param_text(self, text: str) -> set[str]:
        """The runs one of whose scalar params reads as ``text`` (see :func:`param_texts`)."""
        return self._by_param_text.get(text, set())

    def _order_for(self, pipeline: str | None, status: RunStatus | None) -> list[Key]:
        candidates = [self._lists[BY_PIPELINE].get(pipeline, [])] if pipeline is not None else []
        if status is not None:
            candidates.append(self._lists[BY_STATUS].get(status.value, []))
        if not candidates:
            return self._lists[ALL].get("", [])
        return min(candidates, key=len)

    def _move(self, run_id: str, before: _Place | None, after: _Place | None) -> None:
        """Take the run out of the lists ``before`` put it in and into those of ``after``,
        leaving alone each list where its entry did not change."""
        old = before.entries() if before else {}
        new = after.entries() if after else {}
        for name, lists in self._lists.items():
            was, now = old.get(name), new.get(name)
            if was != now:
                if was is not None:
                    _remove_from(lists, *was)
                if now is not None:
                    insort(lists.setdefault(now[0], []), now[1])
        self._move_texts(run_id, before.texts if before else frozenset(), after)

    def _move_texts(self, run_id: str, was: frozenset[str], after: _Place | None) -> None:
        now = after.texts if after else frozenset()
        for text in was - now:
            runs = self._by_param_text[text]
            runs.discard(run_id)
            if not runs:
                del self._by_param_text[text]
        for text in now - was:
            self._by_param_text.setdefault(text, set()).add(run_id)


def _place_of(view: RunView, texts: frozenset[str] | None) -> _Place:
    """Where ``view`` stands; ``texts`` are its param texts when known (params unchanged:
    a run's events mostly leave them alone, and reading them again is the costly part)."""
    finished = (view.finished_at, view.run_id) if view.finished_at is not None else None
    texts = param_texts(view.params) if texts is None else texts
    return _Place(view.pipeline, view.status, (view.created_at, view.run_id), finished, texts)


def param_texts(params: Mapping[str, Any]) -> frozenset[str]:
    """Each scalar param value as text: a string as itself, a number or boolean as JSON
    writes it (``3``, ``true``); objects, arrays and nulls are not searched."""
    return frozenset(t for t in map(_scalar_text, params.values()) if t is not None)


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return None


def _remove(keys: list[Key], key: Key) -> None:
    """Take ``key`` out of the sorted list ``keys`` (if it is there)."""
    i = bisect_left(keys, key)
    if i < len(keys) and keys[i] == key:
        del keys[i]


def _remove_from(lists: dict[str, list[Key]], name: str, key: Key) -> None:
    """Take ``key`` out of ``lists[name]``; an emptied list goes (a dropped pipeline)."""
    keys = lists.get(name)
    if keys is not None:
        _remove(keys, key)
        if not keys:
            del lists[name]
