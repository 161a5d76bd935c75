"""Chunks of the seed plans: exact original text, full coverage without
overlap, headings with their first items, items never cut, stable ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.cases import SEED_PLANS
from ingest.chunking import MAX_CHUNK_CHARS, chunk_document
from ingest.loaders import load
from ingest.normalize import normalize_line
from ingest.structure import item_number, parse
from planqa.types import Chunk, ParsedDoc, SourceDoc

ROOT = Path(__file__).resolve().parent.parent
CORPUS = SEED_PLANS
SEEDS = sorted(p.name for p in CORPUS.glob("*.txt"))


def _parsed(name: str) -> ParsedDoc:
    return parse(load(CORPUS / name, name))


def assert_chunk_invariants(parsed: ParsedDoc, chunks: list[Chunk]) -> None:
    """What every chunking must guarantee, whatever the document."""
    lines = parsed.doc.lines
    blank = [not normalize_line(line) for line in lines]
    covered: list[int] = []
    for c in chunks:
        assert 1 <= c.start_line <= c.end_line <= len(lines)
        assert c.text == "\n".join(lines[c.start_line - 1 : c.end_line])  # quotable as is
        assert not blank[c.start_line - 1] and not blank[c.end_line - 1]  # no blank edges
        assert c.source == parsed.doc.source and c.office == parsed.office
        covered.extend(range(c.start_line, c.end_line + 1))
    assert covered == sorted(covered) and len(covered) == len(set(covered)), "chunks overlap or are out of order"
    missing = [n for n in range(1, len(lines) + 1) if not blank[n - 1] and n not in set(covered)]
    assert missing == [], f"non-blank lines in no chunk: {missing}"
    assert len({c.id for c in chunks}) == len(chunks)
    for section in parsed.sections:
        mine = [c for c in chunks if section.start_line <= c.start_line <= section.end_line]
        assert all(c.end_line <= section.end_line for c in mine), "a chunk crosses a section boundary"
        assert all((c.section, c.section_kind) == (section.title, section.kind) for c in mine)
        for c in mine:
            assert c.items == tuple(n for n, ln in section.items if c.start_line <= ln <= c.end_line)


def _chunk_of(chunks: list[Chunk], line: int) -> Chunk | None:
    return next((c for c in chunks if c.start_line <= line <= c.end_line), None)


def _item_extent(parsed: ParsedDoc, line: int, end: int) -> list[int]:
    """An item line and the lines that continue it (up to a blank line or the next item)."""
    lines = parsed.doc.lines
    extent = [line]
    for n in range(line + 1, end + 1):
        norm = normalize_line(lines[n - 1])
        if not norm or item_number(norm) is not None:
            break
        extent.append(n)
    return extent


@pytest.mark.parametrize("max_chars", [120, MAX_CHUNK_CHARS, 5000])
@pytest.mark.parametrize("name", SEEDS)
def test_chunk_invariants_on_every_seed(name: str, max_chars: int) -> None:
    parsed = _parsed(name)
    assert_chunk_invariants(parsed, chunk_document(parsed, max_chars=max_chars))


@pytest.mark.parametrize("max_chars", [60, 120, MAX_CHUNK_CHARS])
@pytest.mark.parametrize("name", SEEDS)
def test_no_chunk_cuts_an_item_and_headings_keep_their_first_item(name: str, max_chars: int) -> None:
    parsed = _parsed(name)
    chunks = chunk_document(parsed, max_chars=max_chars)
    norm = [normalize_line(line) for line in parsed.doc.lines]
    for section in parsed.sections:
        for _, line in section.items:
            extent = _item_extent(parsed, line, section.end_line)
            holders = {id(_chunk_of(chunks, n)) for n in extent}
            assert len(holders) == 1, f"{name}: item at line {line} is cut ({extent})"
        if not section.title:
            continue
        heading = next(n for n in range(section.start_line, section.end_line + 1) if norm[n - 1] == section.title)
        holder = _chunk_of(chunks, heading)
        assert holder is not None and holder.end_line > heading, f"{name}: {section.title} stands alone"
        if section.items and max_chars == MAX_CHUNK_CHARS:
            assert holder is _chunk_of(chunks, section.items[0][1]), f"{name}: {section.title}"


def test_seed_chunks_stay_near_the_size_limit() -> None:
    for name in SEEDS:
        for c in chunk_document(_parsed(name)):
            size = sum(len(normalize_line(line)) for line in c.text.split("\n"))
            # a small tail (< a quarter) joins the chunk before it
            assert size <= MAX_CHUNK_CHARS * 1.25, (name, c.start_line, size)


def test_a_long_section_is_split_between_items() -> None:
    chunks = [c for c in chunk_document(_parsed("004_324aff1e68aa4ee5.txt")) if c.section_kind == "goal"]
    assert len(chunks) > 1
    assert [n for c in chunks for n in c.items] == [str(n) for n in range(1, 21)]  # each item once, in order
    assert all(item_number(c.text.split("\n")[0]) for c in chunks[1:])  # later parts start at an item


def test_a_heading_joins_a_first_item_longer_than_the_limit() -> None:
    lines = ("พันธกิจ", "", "1. " + "พัฒนาคุณภาพผู้เรียน " * 50, "2. ส่งเสริมครู", "", "3. " + "ภาคีเครือข่าย " * 60)
    parsed = parse(SourceDoc("plan.txt", lines, "txt", "utf-8", "x"))
    chunks = chunk_document(parsed)
    assert_chunk_invariants(parsed, chunks)
    assert [(c.start_line, c.end_line, c.items) for c in chunks] == [(1, 3, ("1",)), (4, 4, ("2",)), (6, 6, ("3",))]


@pytest.mark.parametrize(("name", "line"), [("000_85eb215d03d6bd52.txt", 1), ("004_324aff1e68aa4ee5.txt", 3)])
def test_office_name_line_is_in_the_vision_chunk(name: str, line: int) -> None:
    parsed = _parsed(name)
    assert parsed.office in normalize_line(parsed.doc.lines[line - 1])
    chunk = _chunk_of(chunk_document(parsed), line)
    assert chunk is not None and chunk.section_kind == "vision"
    assert "วิสัยทัศน์" in chunk.text


def test_multiline_items_stay_whole_in_002() -> None:
    chunks = chunk_document(_parsed("002_1f30bfc08ba12608.txt"))
    for first, continuation in ((46, 47), (59, 60)):  # items wrapped onto a second line
        assert _chunk_of(chunks, first) is _chunk_of(chunks, continuation)
    # strategy 1 with its indicator heading and indicator line in one chunk
    strategy1 = _chunk_of(chunks, 31)
    assert strategy1 is not None and (strategy1.start_line, strategy1.end_line) == (31, 37)
    assert strategy1.items == ("1", "2", "3", "4")


def test_bullets_stay_with_their_focus_item_in_001() -> None:
    chunks = [c for c in chunk_document(_parsed("001_6c7f6f6f50bc0cc0.txt")) if c.section_kind == "focus"]
    assert [(c.items, c.start_line) for c in chunks][:2] == [(("1",), 36), (("2",), 43)]
    assert "- นักเรียนมีสมรรถนะสู่มาตรฐานสากล" in chunks[0].text


@pytest.mark.parametrize("name", SEEDS)
def test_chunk_ids_are_stable_across_parses(name: str) -> None:
    first = chunk_document(_parsed(name))
    again = chunk_document(parse(load(CORPUS / name, name)))
    assert [c.id for c in first] == [c.id for c in again]
    assert first == again


def test_editing_one_line_changes_only_its_chunk_id() -> None:
    name = "000_85eb215d03d6bd52.txt"
    parsed = _parsed(name)
    lines = list(parsed.doc.lines)
    assert lines[47].endswith("ด้วยระบบคุณภาพ")  # strategy item 1 (line 48)
    lines[47] += "ใหม่"
    edited = parse(SourceDoc(name, tuple(lines), "txt", "utf-8", "edited"))
    before = {c.id for c in chunk_document(parsed)}
    after = chunk_document(edited)
    changed = [c for c in after if c.id not in before]
    assert [(c.section_kind, c.start_line) for c in changed] == [("strategy", 44)]


def test_ids_depend_on_source_and_office() -> None:
    doc = load(CORPUS / SEEDS[0], SEEDS[0])
    renamed = SourceDoc("renamed.txt", doc.lines, doc.format, doc.encoding, doc.sha256)
    ids = {c.id for c in chunk_document(parse(doc))}
    assert ids.isdisjoint(c.id for c in chunk_document(parse(renamed)))
    other_office = parse(doc, {SEEDS[0]: {"office": "สพม.อื่น"}})
    assert ids.isdisjoint(c.id for c in chunk_document(other_office))


@pytest.mark.parametrize("name", SEEDS)
def test_embed_text_starts_with_office_and_section(name: str) -> None:
    parsed = _parsed(name)
    for c in chunk_document(parsed):
        head, _, body = c.embed_text.partition("\n")
        assert head == f"{parsed.office} | {c.section}"
        assert body == c.text


def test_embed_text_without_labels_is_the_text() -> None:
    chunk = Chunk("x", "a.txt", "", "", "", (), 1, 1, "ข้อความ", "h")
    assert chunk.embed_text == "ข้อความ"
    assert Chunk("x", "a.txt", "สพม.4", "", "", (), 1, 1, "ข้อความ", "h").embed_text == "สพม.4\nข้อความ"


def test_the_seed_index_quotes_every_chunk_exactly(seed_settings) -> None:  # type: ignore[no-untyped-def]
    """End to end: what the index stores is what chunking made, quotable from the file."""
    from ingest.index import PlanIndex

    ix = PlanIndex(seed_settings)
    for name in SEEDS:
        want = chunk_document(_parsed(name))
        stored = ix.lexical.chunks_of(name)
        assert stored == want
        metas = ix.collection.get(ids=[c.id for c in want], include=["metadatas"])["metadatas"]
        assert sorted((m["start_line"], m["end_line"], m["text"]) for m in metas) == [
            (c.start_line, c.end_line, c.text) for c in want
        ]
