"""The coordinator refuses to start when its topics are not co-partitioned with its table."""

from __future__ import annotations

import subprocess
import sys

from tests.integration.e2e.stack import PARTITIONS, Stack


def test_a_partition_mismatch_is_refused_with_a_clear_message(own_stack: Stack) -> None:
    env = own_stack.env()
    env["PODIUM_COORDINATOR__PARTITIONS"] = str(PARTITIONS + 1)
    process = subprocess.run(
        [sys.executable, "-m", "podium", "coordinator"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 2
    assert "co-partitioned" in process.stderr
    assert f"{own_stack.topics.runs}: {PARTITIONS} partitions, expected {PARTITIONS + 1}" in (
        process.stderr
    )
