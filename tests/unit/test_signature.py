"""X-Hub-Signature-256, checked against GitHub's published test vector."""

from __future__ import annotations

import pytest

from app.webhooks.signature import sign, verify

# docs.github.com, "Validating webhook deliveries": secret, payload and expected signature
SECRET = "It's a Secret to Everybody"
BODY = b"Hello, World!"
EXPECTED = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_github_test_vector() -> None:
    assert sign(SECRET, BODY) == EXPECTED
    assert verify(SECRET, BODY, EXPECTED)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        EXPECTED.replace("sha256=", "sha1="),
        EXPECTED[:-1] + "0",
        EXPECTED.upper(),
        "sha256=",
        EXPECTED[7:],
    ],
)
def test_wrong_or_missing_signatures_fail(header: str | None) -> None:
    assert not verify(SECRET, BODY, header)


def test_body_and_secret_both_matter() -> None:
    assert not verify(SECRET, BODY + b" ", EXPECTED)
    assert not verify(SECRET + "!", BODY, EXPECTED)
