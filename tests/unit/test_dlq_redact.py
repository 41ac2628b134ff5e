"""Error text in DLQ headers: secrets never get through, and it is never too long."""

from __future__ import annotations

import string

from hypothesis import assume, given
from hypothesis import strategies as st

from podium.dlq._redact import cap, redact, safe_error

SECRETS = st.text(alphabet=string.ascii_letters + string.digits + "-_.+=!$%/:", min_size=8)
PLANTINGS = [
    "password={}",
    "PASSWORD = {}",
    "db_password: {}",
    "sasl_plain_password='{}'",
    '"token": "{}"',
    "api_key={}&x=1",
    "apikey={}",
    "secret: {}",
    "Authorization: Bearer {}",
    "authorization=Basic {}",
    "bearer {}",
    "postgres://admin:{}@db.internal:5432/x",
    "https://user:{}@example.test/path",
]
SURROUNDINGS = st.text(max_size=80)


@given(
    prefix=SURROUNDINGS, secret=SECRETS, planting=st.sampled_from(PLANTINGS), suffix=SURROUNDINGS
)
def test_a_planted_secret_never_survives(
    prefix: str, secret: str, planting: str, suffix: str
) -> None:
    pieces = {secret[i : i + 5] for i in range(len(secret) - 4)}  # no part of it either
    assume(not any(piece in prefix + planting + suffix for piece in pieces))
    text = prefix + " " + planting.format(secret) + " " + suffix
    for out in (redact(text), safe_error(text, 500)):
        assert not any(piece in out for piece in pieces), out


@given(text=st.text(max_size=2000), limit=st.integers(min_value=0, max_value=600))
def test_capped_text_is_never_longer_than_the_cap(text: str, limit: int) -> None:
    assert len(cap(text, limit)) <= limit
    assert len(safe_error(text, limit)) <= limit
    if len(text) <= limit:
        assert cap(text, limit) == text


@given(text=st.text(max_size=300))
def test_safe_error_is_always_valid_utf8(text: str) -> None:
    safe_error(text, 500).encode("utf-8")  # lone surrogates would raise here


def test_what_stays_readable() -> None:
    text = "connect to postgres://admin:hunter22@db:5432 failed: password=hunter22 rejected"
    assert redact(text) == "connect to postgres://admin:***@db:5432 failed: password=*** rejected"
    assert redact("Authorization: Bearer abc.def") == "Authorization: ***"
    assert redact("no secrets here: 42 rows") == "no secrets here: 42 rows"
    assert cap("x" * 10, 6) == "xxx..."
