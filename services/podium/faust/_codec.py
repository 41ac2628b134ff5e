"""A faust codec for Podium's framing: Avro single-object encoding of the contract's events.

``value_serializer="podium"`` (registered when :mod:`podium.faust` is imported) or
``value_serializer=PodiumCodec()`` makes a faust topic carry Podium's events: sending a
``podium.contract`` model writes its single-object bytes, and a received value is decoded
into its typed model (the writer schema is found by its fingerprint). Bytes pass through
as they are, so the codec also sends values framed elsewhere.
"""

from __future__ import annotations

from typing import Any

from faust.serializers import codecs

from podium.codec import Codec
from podium.contract import PodiumModel

CODEC_NAME = "podium"


class PodiumCodec(codecs.Codec):
    """faust ``Codec``: a PodiumModel to its framed Avro bytes and back."""

    def __init__(self, podium_codec: Codec | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.podium_codec = podium_codec or Codec()

    def _dumps(self, obj: Any) -> bytes:
        if isinstance(obj, bytes | bytearray | memoryview):
            return bytes(obj)
        if not isinstance(obj, PodiumModel):
            raise TypeError(f"the podium codec sends podium.contract events, not {type(obj)}")
        return self.podium_codec.encode_event(obj)

    def _loads(self, s: bytes) -> PodiumModel:
        return self.podium_codec.decode_event(s)


codecs.register(CODEC_NAME, PodiumCodec())  # once, on import: "podium" names it in any topic
