"""Podium's error tree.

One root, so callers can catch everything Podium raises, and retry behaviour
carried as data (``retryable``) instead of lists of types. ``ConfigError`` is what a
user can fix (the CLI exits 2 for it), ``BrokerError`` a cluster that cannot be
reached, ``CodecError`` bytes that are not a message, ``StepError`` what a step handler
raises. Every class, where it is defined (``tests/unit/test_error_tree.py`` keeps
this drawing true)::

    PodiumError
        BenchFailed  (podium_bench._run)
        BenchStalled  (podium_bench._driver)
        BrokerError  (podium.errors)
            MissingToolError  (podium.errors)
            ReadModelUnavailableError  (podium.runs._errors)
            RegistryUnavailableError  (podium.registry._errors)
            SchemaRegistryUnavailable  (podium.events._errors)
        ChildExited  (podium_bench._children)
        CodecError  (podium.codec._errors)
            DecodeError  (podium.codec._errors)
                CorruptMessageError  (podium.codec._errors)
                NotAvroFramingError  (podium.codec._errors)
                NotConfluentFramingError  (podium.events._errors)
                NotJsonError  (podium.events._errors)
                RequestTooLarge  (podium.service._errors)
                SchemaResolutionError  (podium.codec._errors)
                TruncatedMessageError  (podium.codec._errors)
                UnknownFingerprintError  (podium.codec._errors)
                UnknownSchemaIdError  (podium.events._errors)
                UnsupportedSchemaError  (podium.events._errors)
                WrongEventTypeError  (podium.codec._errors)
            EncodeError  (podium.codec._errors)
            SchemaLoadError  (podium.codec._errors)
        ConfigError  (podium.errors)
            ExpressionError  (podium.pipelines._errors)
            IdempotencyConflictError  (podium.cli._runs)
            LimitError  (podium.pipelines._errors)
            NotWaitingStepError  (podium.runs._errors)
            ParamError  (podium.pipelines._errors)
            PipelineValidationError  (podium.pipelines._errors)
            RegistryTopicMissingError  (podium.registry._errors)
            RunEventsTopicMissingError  (podium.runs._errors)
            RunNotFoundError  (podium.runs._errors)
            SchemaLoadError  (podium.codec._errors)
            ServiceLoadError  (podium.service._errors)
            TopicSpecError  (podium.errors)
            UnknownPipelineError  (podium.registry._errors)
        DemoError  (podium.demo._run)
        DlqTopicMissingError  (podium.dlq._errors)
        MissingValueError  (podium.pipelines._errors)
        NotBrokerTime  (podium_bench._records)
        PipelineStateError  (podium.registry._errors)
        RunFinishedError  (podium.runs._errors)
        RunStateError  (podium.runs._errors)
        RunsFailed  (podium.cli._bench)
        SecretError  (podium.secrets)
        StepError  (podium.service._errors)
            NonRetryableError  (podium.service._errors)
                PoisonMessage  (podium.service._errors)
                    UnreadableRequest  (podium.service._errors)
                SecretUnavailable  (podium.service._errors)
        TriggerRejectedError  (podium.triggers._plan)
"""

from __future__ import annotations


class PodiumError(Exception):
    """Root of every error Podium raises on purpose."""

    retryable: bool = False

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        if retryable is not None:
            self.retryable = retryable


class ConfigError(PodiumError):
    """Settings or an input file are wrong; the message says which and how to fix it."""


class BrokerError(PodiumError):
    """The local broker could not be fetched, started, stopped or reached."""


class MissingToolError(BrokerError):
    """A program Podium needs (java, mvn) is not on PATH."""


class TopicSpecError(ConfigError):
    """A topic spec file is invalid: the message names the file and the field."""
