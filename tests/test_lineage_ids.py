"""The per-record id shortcut gives exactly the ids content_id gives."""

import pytest

from synth_assets.lineage.ids import content_id, string_content_id


@pytest.mark.parametrize("parts", [
    ("gen_0123456789abcdef0123", "9f" * 32, []),
    ("gen_0123456789abcdef0123", "9f" * 32, ["vrd_a", "vrd_b"]),
    ("gen_1", "math_answer", "1.2+abcdef12"),
    ('quote " backslash \\ newline \n tab \t bell \x07', ["é 中 😀 \u2028", "", "'"]),
])
def test_string_content_id_is_content_id(parts: tuple) -> None:
    assert string_content_id("scan", *parts) == content_id("scan", *parts)
