"""Meaning-aware term matching: the embedded vocabulary, kept with the index, and its neighbours."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ingest.vocabulary import meaningful


@pytest.fixture(scope="module")
def svc(seed_settings):  # type: ignore[no-untyped-def]
    from retrieval.service import get_service

    return get_service(seed_settings)


def _vocab(settings) -> set[str]:  # type: ignore[no-untyped-def]
    with sqlite3.connect(settings.lexical_path) as conn:
        return {r[0] for r in conn.execute("SELECT term FROM term_vectors")}


def test_the_plans_vocabulary_is_embedded_at_ingest(seed_settings) -> None:  # type: ignore[no-untyped-def]
    vocab = _vocab(seed_settings)
    assert {"นักเรียน", "ความปลอดภัย", "ภัยพิบัติ", "ป้องกัน", "เทคโนโลยีสารสนเทศ"} <= vocab
    assert not any(t.isdigit() for t in vocab)
    assert meaningful("ความปลอดภัย") and not meaningful("2568") and not meaningful("ๆ")


@pytest.mark.parametrize(("word", "near"), [("อันตราย", "อุบัติเหตุ"), ("ปกป้อง", "ป้องกัน"), ("ไอที", "เทคโนโลยีสารสนเทศ"),
                                            ("โรคระบาด", "โรคติดเชื้อ"), ("เด็ก", "นักเรียน"),
                                            ("ผู้บริหาร", "ผู้อำนวยการ"), ("ผลสอบ", "ทดสอบ"),
                                            ("ความพอเพียง", "เศรษฐกิจพอเพียง"), ("โรคระบาด", "โรค")])
def test_a_question_word_finds_the_plan_words_nearest_in_meaning(svc, word: str, near: str) -> None:  # type: ignore[no-untyped-def]
    matches = svc.terms.matches([word])[word]
    assert near in [m.term for m in matches]
    assert all(m.term != word for m in matches)  # itself is no neighbour


def _raw_neighbours(svc, word: str, top: int = 8) -> list[str]:  # type: ignore[no-untyped-def]
    """The plan words nearest ``word`` by cosine alone, before any lookalike is set aside."""
    import numpy as np

    matcher = svc.terms
    matcher.refresh()
    row = matcher._matrix @ matcher.vectors([word])[0]
    return [matcher._terms[j] for j in np.argsort(-row)[: top + 1] if matcher._terms[j] != word][:top]


@pytest.mark.parametrize(("word", "lookalike"), [("ภาษาจีน", "ภาษาอังกฤษ"), ("ทักษะชีวิต", "คุณภาพชีวิต"),
                                                 ("ผู้บริหาร", "การบริหาร"), ("ผลสอบ", "ผลสัมฤทธิ์")])
def test_a_plan_word_that_owes_its_likeness_to_a_shared_piece_is_no_neighbour(svc, word: str, lookalike: str) -> None:  # type: ignore[no-untyped-def]
    """"ภาษาอังกฤษ" is near "ภาษาจีน" through "ภาษา" alone: it is nearer "ภาษา" than "ภาษาจีน" is, and
    "อังกฤษ" is no neighbour of "จีน"; so a Chinese-teaching question is not answered with English teaching.
    ("โรคติดเชื้อ" for "โรคระบาด" shares "โรค" too, and stays: "ติดเชื้อ" is near "ระบาด".)"""
    assert lookalike in _raw_neighbours(svc, word)
    assert lookalike not in [m.term for m in svc.terms.matches([word])[word]]


@pytest.mark.parametrize(("word", "piece", "kept"), [
    ("แนะแนว", "แนว", False),  # "แนะ" carries guidance more than "แนว" (a line) does
    ("จมน้ำ", "น้ำ", False),  # drowning is not water
    ("คนไทย", "ไทย", True),  # the part that carries the word
    ("มีแผน", "แผน", True),
    ("โรคระบาด", "โรค", True),  # the head of a compound (Thai puts it first): an epidemic is a disease
])
def test_a_piece_of_the_word_stands_for_it_when_it_is_its_head_or_carries_it(svc, word: str, piece: str, kept: bool) -> None:  # type: ignore[no-untyped-def]
    from retrieval.terms import Match

    assert bool(svc.terms._meaning_only(word, [Match(piece, 0.95, 5.0)])) is kept


def test_a_plan_word_holding_the_word_is_kept_its_nominaliser_set_aside(svc) -> None:  # type: ignore[no-untyped-def]
    from retrieval.terms import Match

    found = [Match("แนะแนว", 0.99, 7.0), Match("มาตรการแนะแนว", 0.95, 4.0)]
    assert svc.terms._meaning_only("การแนะแนว", found) == found


def test_shared_pieces_are_dictionary_words_inside_both() -> None:
    from retrieval.terms import shared_pieces

    assert shared_pieces("จมน้ำ", "ลูกน้ำ") == ["น้ำ"]
    assert shared_pieces("ภาษาจีน", "ภาษาอังกฤษ")[0] == "ภาษา"
    assert shared_pieces("ดิจิทัล", "ออนไลน์") == []
    assert "ภาษา" not in shared_pieces("ภาษา", "ภาษาจีน")  # neither word whole is a piece


def test_matches_are_scored_against_the_words_own_background(svc) -> None:  # type: ignore[no-untyped-def]
    from retrieval.support import strength

    strong = max(strength(m.z) for m in svc.terms.matches(["ปกป้อง"])["ปกป้อง"])
    slang = max((strength(m.z) for m in svc.terms.matches(["หัวกะทิ"])["หัวกะทิ"]), default=0.0)
    assert strong >= 0.9 and slang < 0.5


def test_the_vocabulary_follows_the_corpus_incrementally(fresh_settings) -> None:  # type: ignore[no-untyped-def]
    from ingest.pipeline import run

    run(fresh_settings)
    before = _vocab(fresh_settings)
    assert "ยาเสพติด" in before
    plan = Path(fresh_settings.corpus_dir) / "001_6c7f6f6f50bc0cc0.txt"  # the only plan that says ยาเสพติด
    text = plan.read_text(encoding="utf-8")
    plan.write_text(text.replace("ห่างไกลยาเสพติด", "ห่างไกลสิ่งเสพติดและการพนันออนไลน์"), encoding="utf-8")
    run(fresh_settings)
    after = _vocab(fresh_settings)
    assert "ยาเสพติด" not in after  # forgotten with the last chunk that held it
    assert "การพนัน" in after or "พนัน" in after  # new words embedded
    assert len(after ^ before) < 10  # the rest untouched


def test_unit_vectors_are_stored_for_every_quotable_unit(seed_settings) -> None:  # type: ignore[no-untyped-def]
    from ingest.lexical import LexicalIndex
    from ingest.units import quotable

    lexical = LexicalIndex(seed_settings.lexical_path)
    chunks = lexical.get_chunks(sorted(lexical.all_ids()))
    vectors = lexical.unit_vectors(list(chunks))
    assert set(vectors) == set(chunks)
    for cid, chunk in chunks.items():
        assert len(vectors[cid]) == len(quotable(chunk))


def test_units_words_stored_at_ingest_are_the_words_a_fresh_tokenisation_gives(seed_settings) -> None:  # type: ignore[no-untyped-def]
    """A "which office" question reads the units' words from the index instead of
    tokenising thousands of units; they must be the same words."""
    from dataclasses import replace

    from ingest.lexical import LexicalIndex
    from ingest.units import units_of

    lexical = LexicalIndex(seed_settings.lexical_path)
    chunks = lexical.get_chunks(sorted(lexical.all_ids()))
    assert lexical.ids_without_unit_words() == []
    for chunk in chunks.values():
        assert chunk.unit_words is not None
        stored = units_of(chunk)
        fresh = [u.tokens for u in _fresh_units(replace(chunk, unit_words=None))]
        assert [u.tokens for u in stored] == fresh
        assert sum(1 for t in stored if t.tokens) > 0


def _fresh_units(chunk):  # type: ignore[no-untyped-def]
    from ingest import units

    return units._units.__wrapped__(chunk)


def test_an_index_without_units_words_gets_them_at_the_next_ingest(fresh_settings) -> None:  # type: ignore[no-untyped-def]
    from ingest.lexical import LexicalIndex
    from ingest.pipeline import run

    run(fresh_settings)
    lexical = LexicalIndex(fresh_settings.lexical_path)
    with lexical._conn() as conn:  # an index built before the words were stored
        conn.execute("DELETE FROM unit_words")
    assert len(lexical.ids_without_unit_words()) == lexical.chunk_count()
    assert all(c.unit_words is None for c in lexical.get_chunks(sorted(lexical.all_ids())).values())
    report = run(fresh_settings)
    assert (report.added, report.updated) == (0, 0)
    assert lexical.ids_without_unit_words() == []


def test_a_failed_lexical_write_rolls_back_and_the_next_write_works(tmp_path: Path) -> None:
    import numpy as np

    from ingest.lexical import LexicalIndex
    from planqa.types import Chunk, SectionKind

    lexical = LexicalIndex(tmp_path / "lexical.sqlite")
    chunk = Chunk(id="c1", source="a.txt", office="สพม. เขต 1", section="วิสัยทัศน์", section_kind=SectionKind.NONE,
                  items=(), start_line=1, end_line=1, text="โรงเรียนสีเขียว", content_hash="h")
    lexical.upsert([chunk])
    vec = np.ones((1, 4), dtype=np.float32)
    with pytest.raises(TypeError):  # the words are not text: fails after the vectors were written
        lexical.put_unit_vectors({"c1": vec}, words={"c1": (1,)})  # type: ignore[dict-item]
    assert lexical.unit_vectors(["c1"]) == {}
    lexical.put_term_vectors(["โรงเรียน"], vec)  # before: "cannot start a transaction within a transaction"
    lexical.clear()
    assert lexical.chunk_count() == 0
