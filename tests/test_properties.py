"""Properties over generated Thai text and plan-like documents (hypothesis).

Normalisation is idempotent and line-preserving; chunking any plan-like
document covers every non-blank line exactly once with the original text.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.chunking import chunk_document
from ingest.normalize import normalize_line, normalize_text
from ingest.structure import parse
from planqa.types import SourceDoc
from tests.test_chunking import assert_chunk_invariants

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Thai letters, every vowel and tone mark (in any order, repeated), digits,
# Latin, and the spaces and invisibles that web copies of plans carry
THAI_CHARS = [chr(c) for c in range(0x0E01, 0x0E5C) if chr(c).isprintable()]
ODD_SPACES = [" ", "\u00a0", "\t", "\u2009", "\u3000", "\u200b", "\u200d", "\ufeff", "\u00ad", "\x0b", "\x01", "\u202f"]
ALPHABET = st.sampled_from(THAI_CHARS + ODD_SPACES + list("09aZ.()-:/"))
LINE = st.text(alphabet=ALPHABET, max_size=60)


@FAST
@given(LINE)
def test_normalize_line_is_idempotent_and_clean(line: str) -> None:
    once = normalize_line(line)
    assert normalize_line(once) == once
    assert "\u00a0" not in once and "\t" not in once and "  " not in once
    assert once == once.strip()
    assert not any(ch in once for ch in "\u200b\u200d\ufeff\u00ad\x0b\x01\n")


@FAST
@given(st.text(max_size=40).filter(lambda t: "\n" not in t))
def test_normalize_line_is_idempotent_on_any_unicode(line: str) -> None:
    once = normalize_line(line)
    assert normalize_line(once) == once and "\n" not in once


@FAST
@given(st.lists(LINE, max_size=12))
def test_normalize_text_keeps_the_line_count(lines: list[str]) -> None:
    text = "\n".join(lines)
    out = normalize_text(text)
    assert out.count("\n") == text.count("\n")
    assert out.split("\n") == [normalize_line(line) for line in text.split("\n")]


# ---- plan-like documents ------------------------------------------------------------------

_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
HEADINGS = [
    "วิสัยทัศน์",
    "วิสัยทัศน์ (Vision)",
    "พันธกิจ (Mission)",
    "พันธกิจ",
    "เป้าประสงค์",
    "ป้าประสงค์ (GOALS)",
    "เป้าหมาย (Goals)",
    "กลยุทธ์",
    "กลยุทธ์ที่ ๒ การพัฒนาครู",
    "กลยุทธ์ที่ 3 การสร้างโอกาส",
    "ประเด็นกลยุทธ์",
    "จุดเน้น",
    "ตัวชี้วัด",
    "## ค่านิยม",
    "\u00a0\u00a0\u00a0 จุดเน้น",
    "วิสัยทัศน์ พันธกิจ เป้าประสงค์ กลยุทธ์",  # a title line listing sections
]
WORDS = ["พัฒนา", "คุณภาพ", "ผู้เรียน", "ครู", "สถานศึกษา", "ส่งเสริม", "การศึกษา", "ร้อยละ 95", "(ICT)", "มาตรฐาน",
         "สพม.", "เขต", "๒๐", "ให้มีความปลอดภัย", "และ", "ตัวชี้วัด"]
INDENT = st.sampled_from(["", " ", "\u00a0", "\u00a0\u00a0 \u00a0", "\t", "\u00a0\u00a0\u00a0\u00a0\u00a0 "])
SENTENCE = st.lists(st.sampled_from(WORDS), min_size=1, max_size=40).map(" ".join)


@st.composite
def _item(draw: st.DrawFn) -> str:
    number = str(draw(st.integers(1, 25)))
    if draw(st.booleans()):
        number = number.translate(_THAI_DIGITS)
    sep = draw(st.sampled_from([". ", ".", "", ") ", ".\u00a0", " "]))
    return draw(INDENT) + number + sep + draw(SENTENCE)


PLAN_LINE = st.one_of(
    st.sampled_from(HEADINGS),
    _item(),
    _item(),
    st.builds(lambda indent, text: indent + text, INDENT, SENTENCE),
    st.builds(lambda indent, text: indent + "- " + text, INDENT, SENTENCE),
    st.sampled_from(["", "", "\u00a0", " ", "\u00a0 \u00a0 \u00a0", "\u200b"]),
)


@FAST
@given(st.lists(PLAN_LINE, min_size=1, max_size=45), st.sampled_from([60, 250, 700]))
def test_chunks_of_any_plan_cover_every_line_once_with_the_original_text(lines: list[str], max_chars: int) -> None:
    doc = SourceDoc("generated.txt", tuple(lines), "txt", "utf-8", "generated")
    parsed = parse(doc)
    spans = [(s.start_line, s.end_line) for s in parsed.sections]
    assert spans[0][0] == 1 and spans[-1][1] == len(lines)
    assert all(b + 1 == c for (_, b), (c, _) in zip(spans, spans[1:]))
    chunks = chunk_document(parsed, max_chars=max_chars)
    assert_chunk_invariants(parsed, chunks)
    assert chunk_document(parse(doc), max_chars=max_chars) == chunks  # deterministic, ids included
