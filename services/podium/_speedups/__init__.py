"""The hot path's tricks, behind one door: each does what a plain Python idiom does, faster,
and each has a test that the plain way and the fast one give the same result. Domain modules
call them; none contains a trick of its own. The figures are in ``docs/performance.md``.

- :mod:`.frozen`: generated ``__init__`` and copier for frozen, slotted dataclasses
  (plain: the dataclass's own; ``tests/unit/test_frozen.py``).
- :mod:`.avro_writer`: a generated Avro binary writer per schema (plain: fastavro's
  ``schemaless_writer``, kept for any schema it does not cover;
  ``tests/unit/test_codec_writer.py`` pins byte-identical output for every schema).
- :mod:`.json_text`: ``json.dumps`` with its C encoder built once (plain: ``json.dumps``,
  used when the ``_json`` accelerator is missing; ``tests/unit/test_coordinator_json.py``).
- :mod:`.enum_value`: ``StrEnum.value`` as a C property (plain: ``Enum.value``;
  ``tests/unit/test_coordinator_state.py``).
"""
