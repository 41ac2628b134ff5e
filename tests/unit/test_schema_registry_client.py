"""The Schema Registry adapter against a registry answering over HTTP (tests/schema_registry.py):
schemas by id with auth, cached; a missing id is the record's fault, an outage is not."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import SecretStr

from podium.errors import ConfigError
from podium.events import SchemaRegistryClient, SchemaRegistryUnavailable
from podium.events._errors import UnknownSchemaIdError
from podium.settings import SchemaRegistrySettings, load_settings
from tests.schema_registry import LocalSchemaRegistry

SCHEMA = {"type": "record", "name": "OrderPlaced", "fields": [{"name": "id", "type": "string"}]}
PASSWORD = "s3cret-registry-pw"


@pytest.fixture
def registry() -> Iterator[LocalSchemaRegistry]:
    with LocalSchemaRegistry(auth=("orders", PASSWORD)) as running:
        yield running


@pytest.fixture
async def client(registry: LocalSchemaRegistry) -> AsyncIterator[SchemaRegistryClient]:
    settings = SchemaRegistrySettings(
        url=registry.url, username="orders", password=SecretStr(PASSWORD)
    )
    adapter = SchemaRegistryClient(settings)
    yield adapter
    await adapter.close()


async def test_a_schema_is_fetched_once_by_id(
    registry: LocalSchemaRegistry, client: SchemaRegistryClient
) -> None:
    schema_id = registry.state.register("orders-value", {"schema": json.dumps(SCHEMA)})
    first = await client.schema(schema_id)
    again = await client.schema(schema_id)
    assert first is not None and first.name == "OrderPlaced" and again is first
    assert registry.state.requests.count(f"GET /schemas/ids/{schema_id}") == 1
    assert client.fetches == 1


async def test_a_json_schema_reads_as_json(
    registry: LocalSchemaRegistry, client: SchemaRegistryClient
) -> None:
    schema_id = registry.state.register("x", {"schema": "{}", "schemaType": "JSON"})
    assert await client.schema(schema_id) is None


async def test_an_unknown_id_is_the_records_fault(client: SchemaRegistryClient) -> None:
    with pytest.raises(UnknownSchemaIdError, match="schema id 404") as caught:
        await client.schema(404)
    assert caught.value.reason == "unknown-schema-id"


async def test_wrong_credentials_are_an_outage_that_says_where_to_look(
    registry: LocalSchemaRegistry,
) -> None:
    settings = SchemaRegistrySettings(url=registry.url, username="orders", password="wrong")
    adapter = SchemaRegistryClient(settings)
    try:
        with pytest.raises(SchemaRegistryUnavailable, match=r"401.*USERNAME") as caught:
            await adapter.schema(1)
    finally:
        await adapter.close()
    assert "wrong" not in str(caught.value)


async def test_a_registry_that_is_down_is_an_outage_and_later_answers(
    registry: LocalSchemaRegistry, client: SchemaRegistryClient
) -> None:
    schema_id = registry.state.register("orders-value", {"schema": json.dumps(SCHEMA)})
    registry.stop()
    with pytest.raises(SchemaRegistryUnavailable, match="did not answer"):
        await client.schema(schema_id)
    registry.start()
    assert await client.schema(schema_id) is not None


async def test_a_bearer_token_is_sent_as_such(registry: LocalSchemaRegistry) -> None:
    settings = SchemaRegistrySettings(url=registry.url, bearer_token=SecretStr("tok"))
    adapter = SchemaRegistryClient(settings)
    try:
        with pytest.raises(SchemaRegistryUnavailable, match="401"):  # the registry wants basic
            await adapter.schema(1)
    finally:
        await adapter.close()


async def test_the_cache_keeps_cache_size_schemas(registry: LocalSchemaRegistry) -> None:
    ids = [registry.state.register(f"s{n}", {"schema": json.dumps({**SCHEMA, "name": f"E{n}"})})
           for n in range(2)]  # fmt: skip
    settings = SchemaRegistrySettings(
        url=registry.url, username="orders", password=SecretStr(PASSWORD), cache_size=1
    )
    adapter = SchemaRegistryClient(settings)
    try:
        for schema_id in (ids[0], ids[0], ids[1], ids[0]):
            await adapter.schema(schema_id)
    finally:
        await adapter.close()
    assert adapter.fetches == 3  # the second read of ids[0] hit; the last one was dropped


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://orders:pw@registry:8081", "not in its URL"),
        ("registry:8081", "http(s) URL"),
        ("orders:pw@registry", "http(s) URL"),
    ],
)
def test_a_registry_url_with_credentials_or_no_scheme_is_refused_without_echo(
    monkeypatch: pytest.MonkeyPatch, url: str, says: str
) -> None:
    monkeypatch.setenv("PODIUM_SCHEMA_REGISTRY__URL", url)
    with pytest.raises(ConfigError, match="PODIUM_SCHEMA_REGISTRY__URL") as caught:
        load_settings()
    assert says in str(caught.value) and "pw" not in str(caught.value)
