"""podium.faust without a broker: its codec frames Podium's events for faust topics, and
faust stays an optional extra that nothing else in Podium imports."""

from __future__ import annotations

import subprocess
import sys

import pytest
from faust.serializers import codecs

from podium.codec import Codec, NotAvroFramingError
from podium.codec.strategies import sample_events
from podium.faust import PodiumCodec
from podium.faust._codec import CODEC_NAME

CODEC = Codec()


def test_the_registered_codec_frames_every_event_as_podium_does() -> None:
    registered = codecs.get_codec(CODEC_NAME)
    for event in sample_events():
        data = registered.dumps(event)
        assert data == CODEC.encode_event(event)
        assert registered.loads(data) == event


def test_bytes_pass_through_and_other_values_are_refused() -> None:
    codec = PodiumCodec()
    framed = CODEC.encode_event(sample_events()[0])
    assert codec.dumps(framed) == framed
    with pytest.raises(TypeError, match=r"podium\.contract events"):
        codec.dumps({"run_id": "r"})
    with pytest.raises(NotAvroFramingError):
        codec.loads(b"{}")


def test_no_podium_module_but_podium_faust_imports_faust() -> None:
    probe = (  # iter_modules, not walk_packages: walking a package imports it
        "import importlib, pkgutil, sys, podium\n"
        "def walk(package):\n"
        "    for m in pkgutil.iter_modules(package.__path__, package.__name__ + '.'):\n"
        "        if m.name != 'podium.faust' and not m.name.endswith('__main__'):\n"
        "            module = importlib.import_module(m.name)\n"
        "            if m.ispkg:\n"
        "                walk(module)\n"
        "walk(podium)\n"
        "print(sorted(m for m in sys.modules if m == 'faust' or m.startswith('faust.')))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert loaded.strip() == "[]"
