"""Tracing: the OpenTelemetry SDK installed from the ``OTEL_*`` variables.

``_config`` reads the variables (pure); ``_install`` installs the SDK for a process's
lifetime (``traced_process``) and hands back a ``Tracing`` handle (None when off) that
starts spans with ids chosen by the caller (the coordinator's derived ids).
"""

from podium.tracing._install import traced_process

__all__ = ["traced_process"]
