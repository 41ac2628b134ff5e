"""The lag monitor around its pure parts: group mapping, peek rounds, DLQ tallies, the
monitor over a scripted source, the JSON, the table and the Prometheus gauges."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from aiokafka import TopicPartition
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest

from podium.lag import (
    GroupNaming,
    GroupRole,
    LagMonitor,
    LagSettings,
    LagStatus,
    StepRef,
    lag_table,
    register_lag_collector,
    report_json,
)
from podium.lag._dlq import DlqRead, DlqTally, depths, fold, read_from
from podium.lag._kafka import GroupOffsets
from podium.lag._mapping import identify, is_podium_group, step_topics
from podium.lag._monitor import peek_rounds
from podium.pipelines import Pipeline

NAMING = GroupNaming("acme-coordinator")
ORDERS = Pipeline.model_validate(
    {
        "name": "orders",
        "version": 1,
        "steps": [
            {
                "name": "charge",
                "service": "payments",
                "topic": "steps.payments",
                "compensation": {"service": "payments", "topic": "steps.refunds"},
            },
            {"name": "ship", "service": "shipping", "topic": "steps.shipping", "after": ["charge"]},
        ],
    }
)
AUDIT = Pipeline.model_validate(
    {
        "name": "audit",
        "version": 1,
        "steps": [{"name": "charge", "service": "payments", "topic": "steps.payments"}],
    }
)
STEPS = step_topics([ORDERS, AUDIT])


def test_request_topics_name_every_step_and_compensation_that_sends_there() -> None:
    assert [s.ref for s in STEPS["steps.payments"]] == [
        StepRef("audit", "charge"),
        StepRef("orders", "charge"),
    ]
    assert [s.ref.step for s in STEPS["steps.refunds"]] == ["compensate:charge"]


def test_groups_are_named_by_role_service_and_steps() -> None:
    assert identify("acme-coordinator", ["runs"], NAMING, STEPS).role is GroupRole.COORDINATOR
    assert identify("acme-coordinator-triggers", [], NAMING, STEPS).role is GroupRole.TRIGGER
    assert identify("podium-triggers", [], NAMING, STEPS).role is GroupRole.TRIGGER
    named = identify("podium-service-payments", ["steps.payments"], NAMING, STEPS)
    assert (named.role, named.service) == (GroupRole.SERVICE, "payments")
    assert named.steps == (StepRef("audit", "charge"), StepRef("orders", "charge"))
    # a team's own consumer of a request topic: the steps name its service
    foreign = identify("team-x-shippers", ["steps.shipping"], NAMING, STEPS)
    assert (foreign.role, foreign.service) == (GroupRole.SERVICE, "shipping")
    assert foreign.steps == (StepRef("orders", "ship"),)
    idle = identify("acme-coordinator-service-mailer", ["mail"], NAMING, STEPS)
    assert (idle.service, idle.steps) == ("mailer", ())


def test_only_podiums_groups_are_watched() -> None:
    assert is_podium_group("team-x-shippers", ["steps.shipping"], NAMING, STEPS)
    assert is_podium_group("podium-service-mailer", ["mail"], NAMING, STEPS)
    assert not is_podium_group("connect-cluster", ["orders-cdc"], NAMING, STEPS)


partitions = st.builds(
    TopicPartition, st.sampled_from(["a", "b"]), st.integers(min_value=0, max_value=2)
)


@given(st.lists(st.tuples(partitions, st.integers(min_value=0, max_value=5))))
def test_peek_rounds_read_each_offset_once_and_no_partition_twice_per_round(
    wanted: list[tuple[TopicPartition, int]],
) -> None:
    rounds = peek_rounds(wanted)
    read = [(tp, offset) for r in rounds for tp, offset in r.items()]
    assert sorted(read) == sorted(set(wanted))
    most = max((sum(1 for tp, _ in set(wanted) if tp == p) for p, _ in wanted), default=0)
    assert len(rounds) == most  # as few rounds as the busiest partition needs


def test_dlq_tally_counts_letters_not_offsets_and_forgets_what_retention_dropped() -> None:
    # letters at 0, 2, 4: the coordinator's commit markers took 1, 3, 5
    tally = fold(DlqTally(), DlqRead(beginning=0, end=6, reached=6, offsets=(0, 2, 4)))
    assert (tally.offsets, tally.position, tally.caught_up) == ([0, 2, 4], 6, True)
    again = fold(tally, DlqRead(beginning=3, end=8, reached=8, offsets=(6,)))
    assert again.offsets == [4, 6]
    assert read_from(again.position, 3) == 8 and read_from(None, 3) == 3
    assert read_from(2, 5) == 5  # retention passed where the last read stopped
    partial = fold(DlqTally(), DlqRead(beginning=0, end=100, reached=40, offsets=(0, 1)))
    tp = TopicPartition
    found = depths({tp("x.dlq", 0): partial, tp("x.dlq", 1): again, tp("a.dlq", 0): DlqTally()})
    assert [(d.topic, d.messages, d.complete) for d in found] == [
        ("a.dlq", 0, False),
        ("x.dlq", 4, False),
    ]


class ScriptedSource:
    """Groups whose offsets the test moves between samples; no Kafka."""

    def __init__(self) -> None:
        self.committed: dict[str, dict[TopicPartition, int]] = {}
        self.members: dict[str, int] = {}
        self.ends: dict[TopicPartition, int] = {}
        self.stamps: dict[TopicPartition, int | None] = {}
        self.letters: dict[TopicPartition, list[int]] = {}

    async def group_names(self) -> list[str]:
        return sorted(self.committed)

    async def offsets(self, groups: Sequence[str]) -> list[GroupOffsets]:
        return [GroupOffsets(g, self.members.get(g, 0), dict(self.committed[g])) for g in groups]

    async def end_offsets(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: self.ends[tp] for tp in partitions if tp in self.ends}

    async def timestamps_at(
        self,
        offsets: Mapping[TopicPartition, int],
        ends: Mapping[TopicPartition, int],
        timeout_s: float,
    ) -> dict[TopicPartition, int | None]:
        return {tp: self.stamps[tp] for tp in offsets if tp in self.stamps}

    async def read_dlqs(
        self, positions: Mapping[TopicPartition, int], timeout_s: float
    ) -> dict[TopicPartition, DlqRead]:
        out = {}
        for tp, letters in self.letters.items():
            start = positions.get(tp, 0)
            end = (letters[-1] + 2) if letters else 0
            out[tp] = DlqRead(0, end, end, tuple(o for o in letters if o >= start))
        return out


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


PAYMENTS = TopicPartition("steps.payments", 0)


def monitor_of(source: ScriptedSource, clock: Clock) -> LagMonitor:
    settings = LagSettings(window_s=10, interval_s=1)
    return LagMonitor(source, lambda: [ORDERS, AUDIT], settings, NAMING, clock)


async def test_the_monitor_follows_a_service_that_stops_and_comes_back() -> None:
    source, clock = ScriptedSource(), Clock()
    cdc = TopicPartition("orders-cdc", 0)
    source.committed = {"podium-service-payments": {PAYMENTS: 10}, "connect": {cdc: 0}}
    source.members = {"podium-service-payments": 1}
    source.ends = {PAYMENTS: 10, cdc: 5}
    monitor = monitor_of(source, clock)
    assert monitor.report() is None
    first = await monitor.sample()
    assert [g.group for g in first.groups] == ["podium-service-payments"]  # connect: not ours
    assert first.groups[0].status is LagStatus.OK

    source.members = {}  # the service stops; requests keep coming
    for _ in range(11):
        clock.now += 1
        source.ends[PAYMENTS] += 2
        source.stamps[PAYMENTS] = int((1_000.5) * 1000)
        report = await monitor.sample()
    group = report.groups[0]
    assert (group.lag_messages, group.status, group.eta_seconds) == (22, LagStatus.STOPPED, None)
    assert group.lag_seconds == 10.5
    assert group.identity.steps == (StepRef("audit", "charge"), StepRef("orders", "charge"))

    source.members = {"podium-service-payments": 1}  # back: it works the lag off
    clock.now += 2
    source.committed["podium-service-payments"][PAYMENTS] = 32
    drained = (await monitor.sample()).groups[0]
    assert (drained.lag_messages, drained.status, drained.lag_seconds) == (0, LagStatus.OK, 0.0)
    assert drained.rate is not None and drained.rate > 0


async def test_a_failed_sample_keeps_the_last_report_and_says_why() -> None:
    source, clock = ScriptedSource(), Clock()
    source.committed = {"acme-coordinator": {TopicPartition("runs", 0): 3}}
    source.ends = {TopicPartition("runs", 0): 3}
    monitor = monitor_of(source, clock)
    good = await monitor.sample()

    async def down(groups: Sequence[str]) -> list[GroupOffsets]:
        raise OSError("connection refused")

    source.offsets = down  # type: ignore[method-assign]
    import asyncio

    stop = asyncio.Event()
    task = asyncio.create_task(monitor.run(stop))
    while monitor.problem() is None:
        await asyncio.sleep(0.01)
    stop.set()
    await task
    assert monitor.report() is good
    assert "connection refused" in (monitor.problem() or "")


async def test_the_report_as_json_table_and_gauges() -> None:
    source, clock = ScriptedSource(), Clock()
    source.committed = {"podium-service-payments": {PAYMENTS: 4}}
    source.ends = {PAYMENTS: 9}
    source.stamps = {PAYMENTS: (990 * 1000)}
    source.letters = {TopicPartition("steps.payments.dlq", 0): [0, 2]}
    monitor = monitor_of(source, clock)
    await monitor.sample()
    clock.now += 1
    report = await monitor.sample()

    body = report_json(report)
    group = body["groups"][0]
    assert group["service"] == "payments" and group["lag_messages"] == 5
    assert group["lag_seconds"] == 11.0 and group["status"] == "STOPPED"  # no member, 11 s
    assert group["partitions"][0] == {
        "topic": "steps.payments",
        "partition": 0,
        "committed": 4,
        "end": 9,
        "lag_messages": 5,
        "lag_seconds": 11.0,
    }
    assert body["dlq"] == [{"topic": "steps.payments.dlq", "messages": 2, "complete": True}]
    assert report_json(None) == {"taken_at": None, "window_s": None, "groups": [], "dlq": []}

    lines = lag_table(report)
    assert lines[0].split()[:3] == ["GROUP", "SERVICE", "STEPS"]
    assert lines[1].split()[:3] == [
        "podium-service-payments",
        "payments",
        "audit.charge,orders.charge",
    ]
    assert "11.0s" in lines[1]
    assert lines[-1].split() == ["steps.payments.dlq", "2"]

    registry = CollectorRegistry()
    register_lag_collector(registry, monitor)
    text = generate_latest(registry).decode()
    labels = (
        'group="podium-service-payments",partition="0",service="payments",topic="steps.payments"'
    )
    assert f"podium_consumer_lag_messages{{{labels}}} 5.0" in text
    assert f"podium_consumer_lag_seconds{{{labels}}} 11.0" in text
    assert 'podium_dlq_depth_messages{topic="steps.payments.dlq"} 2.0' in text
    assert (
        'podium_consumer_group_step_info{group="podium-service-payments",pipeline="orders",'
        'service="payments",step="charge"} 1.0'
    ) in text
    assert "run-" not in text
