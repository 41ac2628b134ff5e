"""faust-streaming as a Podium step service: a codec for Podium's framing, and a decorator
that turns an async function into the agent serving a step's request topic.

    import faust
    from podium.faust import step_agent
    from podium.service import StepContext

    app = faust.App("reports", broker="kafka://localhost:9092", topic_disable_leader=True)

    @step_agent(app, "reports")              # consumes podium.steps.reports
    async def report(input: dict, ctx: StepContext) -> dict:
        return {"pages": 3}                  # -> StepCompleted on podium.step.results

The function is called exactly as a :class:`podium.service.Service` handler would be (the
same context, envelope, error mapping and limits); ``value_serializer="podium"`` makes
any other topic of the app carry Podium's events. Needs the ``faust`` extra
(``pip install 'podium[faust]'``); nothing else in Podium imports faust.

The topics must exist (``podium topics apply``): faust-streaming 0.11 creates topics with
a request that aiokafka 0.13 and later no longer have, so an app that lets it (its leader
topic, tables' changelogs) stops at start. Hence ``topic_disable_leader=True``.
"""

from podium.faust._codec import PodiumCodec
from podium.faust._step import step_agent

__all__ = ["PodiumCodec", "step_agent"]
