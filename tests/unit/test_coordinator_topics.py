from podium.coordinator._run import copartition_problems


def test_matching_partition_counts_are_fine() -> None:
    assert copartition_problems({"runs": 6, "results": 6}, 6) == []


def test_a_missing_topic_and_a_different_count_are_named() -> None:
    problems = copartition_problems({"runs": 6, "results": 3, "timers": None}, 6)
    assert problems == [
        "results: 3 partitions, expected 6",
        "timers: missing (run `podium topics apply`)",
    ]
