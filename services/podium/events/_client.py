"""The Schema Registry adapter: schemas by id over Confluent's REST API, cached.

``GET <url>/schemas/ids/<id>`` answers ``{"schema": "<text>", "schemaType": ...,
"references": [...]}`` (no ``schemaType`` means Avro). An id names one schema for
ever, so a fetched schema is kept (up to ``cache_size`` ids, least recently used
dropped). A 404 means the record names a schema that does not exist: the record is
bad. Anything else that is not a schema (no answer, 5xx, 401) says nothing about the
record, so it is :class:`SchemaRegistryUnavailable` and the caller retries.
"""

from __future__ import annotations

import base64
import ssl
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from podium.events._decode import ParsedSchema, RegisteredSchema, readable
from podium.events._errors import SchemaRegistryUnavailable, UnknownSchemaIdError
from podium.settings import SchemaRegistrySettings

if TYPE_CHECKING:
    import aiohttp

AUTH = (401, 403)
ACCEPT = "application/vnd.schemaregistry.v1+json, application/json"


class SchemaRegistryClient:
    """Parsed schemas by id; one aiohttp session, opened on first use."""

    def __init__(self, settings: SchemaRegistrySettings) -> None:
        if settings.url is None:
            raise ValueError("a Schema Registry client needs PODIUM_SCHEMA_REGISTRY__URL")
        self.url = settings.url
        self.settings = settings
        self.fetches = 0
        """Schemas fetched over HTTP (a cache hit does not count)."""
        self._cache: OrderedDict[int, ParsedSchema | None] = OrderedDict()
        self._session: aiohttp.ClientSession | None = None

    async def schema(self, schema_id: int) -> ParsedSchema | None:
        """The Avro schema of ``schema_id`` (None: a JSON Schema, its payload is JSON)."""
        if schema_id in self._cache:
            self._cache.move_to_end(schema_id)
            return self._cache[schema_id]
        parsed = readable(await self.fetch(schema_id))
        self._cache[schema_id] = parsed
        if len(self._cache) > self.settings.cache_size:
            self._cache.popitem(last=False)
        return parsed

    async def fetch(self, schema_id: int) -> RegisteredSchema:
        """One ``GET /schemas/ids/<id>``, uncached."""
        import aiohttp  # here: the coordinator imports this module, most never use it

        session = self._open()
        try:
            async with session.get(f"{self.url}/schemas/ids/{schema_id}") as answer:
                body = await answer.json(content_type=None) if answer.status < 500 else None
                status = answer.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise SchemaRegistryUnavailable(
                f"Schema Registry at {self.url} did not answer for id {schema_id}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        self.fetches += 1
        return _registered(self.url, schema_id, status, body)

    def _open(self) -> aiohttp.ClientSession:
        import aiohttp

        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={"Accept": ACCEPT, **self._auth()},
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout_s),
                connector=aiohttp.TCPConnector(ssl=self._ssl()),
            )
        return self._session

    def _auth(self) -> dict[str, str]:
        token, password = self.settings.bearer_token, self.settings.password
        if token is not None:
            return {"Authorization": f"Bearer {token.get_secret_value()}"}
        if self.settings.username is not None:
            secret = password.get_secret_value() if password else ""
            pair = f"{self.settings.username}:{secret}".encode()
            return {"Authorization": f"Basic {base64.b64encode(pair).decode('ascii')}"}
        return {}

    def _ssl(self) -> ssl.SSLContext | bool:
        cafile = self.settings.ssl_cafile
        return ssl.create_default_context(cafile=str(cafile)) if cafile else True

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def _registered(url: str, schema_id: int, status: int, body: Any) -> RegisteredSchema:
    if status == 404:
        raise UnknownSchemaIdError(schema_id, url)
    if status != 200 or not isinstance(body, dict) or not isinstance(body.get("schema"), str):
        hint = " (check PODIUM_SCHEMA_REGISTRY__USERNAME/__PASSWORD)" if status in AUTH else ""
        raise SchemaRegistryUnavailable(
            f"Schema Registry at {url} answered {status} for id {schema_id}{hint}"
        )
    references = body.get("references") or []
    return RegisteredSchema(
        schema_type=str(body.get("schemaType") or "AVRO"),
        text=body["schema"],
        references=len(references) if isinstance(references, list) else 0,
    )
