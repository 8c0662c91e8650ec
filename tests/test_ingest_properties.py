"""Properties of decoding on hostile input: it never crashes, never guesses, and loses nothing.

Any bytes either decode strictly (and encode back to the same bytes) or raise IngestError with
a reason. A real issue's lines, in any of the encodings and line endings the inbox sees, decode
to the same identity and parse with every line in its place.
"""

from __future__ import annotations

import codecs
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.ingest import IngestError, canonical_text, content_hash, decode_bytes, read_issue
from flows.lossless import placement_errors
from flows.parse import parse_issue
from flows.settings import SAMPLE_ISSUE

TODAY = date(2026, 1, 15)
SLOW = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SAMPLE = SAMPLE_ISSUE.read_bytes()
LINES = [line for line in SAMPLE.decode("utf-8").splitlines() if line.strip()]
# (codec, BOM written before the text): every way an issue arrives in the inbox
ENCODINGS = [
    ("utf-8", b""),
    ("utf-8", codecs.BOM_UTF8),
    ("gb18030", b""),
    ("gbk", b""),
    ("utf-16-le", codecs.BOM_UTF16_LE),
    ("utf-16-be", codecs.BOM_UTF16_BE),
    ("utf-16-le", b""),
    ("utf-32-le", codecs.BOM_UTF32_LE),
]
# Strict decoders that are bijections: decoding then encoding gives back the very bytes.
_BIJECTIVE = {"utf-8", "utf-8-sig", "gb18030", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"}


def _assert_lossless(data: bytes, text: str, encoding: str) -> None:
    """The decoded text must encode back to exactly the bytes that came in."""
    if encoding in ("utf-16", "utf-32"):  # the BOM says the byte order
        bom_le = data.startswith(codecs.BOM_UTF32_LE if encoding == "utf-32" else codecs.BOM_UTF16_LE)
        width = 4 if encoding == "utf-32" else 2
        assert data[width:] == text.encode(f"{encoding}-{'le' if bom_le else 'be'}")
    elif encoding in _BIJECTIVE:
        assert text.encode(encoding) == data
    else:
        assert codecs.decode(data, encoding) == text


@st.composite
def mutated_sample(draw: st.DrawFn) -> bytes:
    """The sample issue cut, spliced with noise, or with bytes flipped: what a bad copy looks like."""
    data = bytearray(SAMPLE[: draw(st.integers(0, len(SAMPLE)))])
    for _ in range(draw(st.integers(0, 4))):
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        data[position:position] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


@SLOW
@given(st.one_of(st.binary(max_size=3000), mutated_sample()))
def test_any_bytes_decode_strictly_or_are_refused_with_a_reason(data: bytes) -> None:
    try:
        text, encoding = decode_bytes(data)
    except IngestError as error:
        assert str(error)
        return
    assert text.strip()
    _assert_lossless(data, text, encoding)


@st.composite
def issue_text(draw: st.DrawFn) -> str:
    """Real lines of the sample, any subset and order, with the layouts' blank-line habits."""
    lines = draw(st.lists(st.sampled_from(LINES), min_size=4, max_size=40))
    separator = draw(st.sampled_from(["\n", "\n\n"]))
    return separator.join(lines)


@SLOW
@given(issue_text(), st.sampled_from(ENCODINGS), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_the_same_issue_in_any_encoding_has_the_same_identity(
    text: str, encoding: tuple[str, bytes], newline: str, trailing_spaces: bool
) -> None:
    codec, bom = encoding
    written = newline.join(line + ("  " if trailing_spaces else "") for line in text.split("\n"))
    issue = read_issue("x.txt", bom + written.encode(codec))
    assert issue.sha256 == content_hash(text)
    assert issue.text == canonical_text(text)


@settings(SLOW, max_examples=40)
@given(issue_text(), st.sampled_from(ENCODINGS))
def test_decoded_issues_parse_with_every_line_in_its_place(text: str, encoding: tuple[str, bytes]) -> None:
    codec, bom = encoding
    issue = read_issue("qingdao-daily-2025-12-30.txt", bom + text.encode(codec))
    parsed = parse_issue(issue, TODAY)
    assert placement_errors(issue.text, parsed.articles, parsed.residue) == []
