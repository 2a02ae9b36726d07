import pytest

from synth_assets.decontam import normalize_tokens
from synth_assets.text.normalize import normalized_token_bytes


def test_lowercases_strips_punctuation_and_splits_on_whitespace():
    assert normalize_tokens("Hello, World!\n\tIt's  $2.50 (each).") == [
        "hello",
        "world",
        "its",
        "250",
        "each",
    ]


def test_unicode_punctuation_is_stripped_like_ascii():
    assert normalize_tokens("Janet’s “ducks” — lay") == normalize_tokens('Janet\'s "ducks" - lay')


def test_punctuation_only_and_empty_text_have_no_tokens():
    assert normalize_tokens("") == []
    assert normalize_tokens(" ... !? — ") == []


def test_non_ascii_letters_are_lowercased_and_kept():
    assert normalize_tokens("Ÿes ÉTÉ") == ["ÿes", "été"]


@pytest.mark.parametrize(
    "text",
    [
        "".join(chr(c) for c in range(128)),  # every ASCII character, controls included
        "Tab\tand\x1cunit\x1fseparators, CR\r\nLF; $1,000.50 <b>bold</b>",
        "Non-ASCII: Janet’s ÉTÉ café\u00a0naïve\u2003—\u2028end",
    ],
)
def test_token_bytes_equal_encoded_normalized_tokens(text):
    assert normalized_token_bytes(text) == [token.encode() for token in normalize_tokens(text)]


def test_token_bytes_equal_normalized_tokens_on_every_non_ascii_character():
    # Every character of the Basic Multilingual Plane and a sample beyond it, between letters:
    # whatever it is (letter, punctuation of any kind, Unicode space, symbol, combining mark,
    # changed by lower()), the fast byte path must cut the text exactly as the reference does.
    codes = [*range(0x80, 0xD800), *range(0xE000, 0x10000), *range(0x10000, 0x110000, 97)]
    text = " ".join(f"a{chr(code)}B" for code in codes)
    assert normalized_token_bytes(text) == [token.encode() for token in normalize_tokens(text)]
