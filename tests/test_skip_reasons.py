"""Skipped files carry a SkipReason code; the Documents tab labels them in Thai by that code."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from ingest.index import PlanIndex
from ingest.loaders import load
from planqa.errors import UnreadableDocument
from planqa.settings import Settings
from planqa.types import SkipReason
from webui.documents import REASONS_TH, DocumentManager

_THAI = re.compile(r"[\u0E00-\u0E7F]")


def test_every_skip_reason_has_a_thai_label() -> None:
    assert set(REASONS_TH) == set(SkipReason)
    for kind, label in REASONS_TH.items():
        assert _THAI.search(label), (kind, label)


def test_the_loader_says_why_in_a_code_that_survives_pickling(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(UnreadableDocument) as caught:
        load(empty, empty.name)
    assert caught.value.kind is SkipReason.EMPTY
    again = pickle.loads(pickle.dumps(caught.value))
    assert (str(again), again.kind) == ("empty file", SkipReason.EMPTY)


def test_a_skipped_file_shows_its_thai_label_in_the_documents_table(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.pdf").write_bytes(b"")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not a PDF body\n%%EOF\n")
    (corpus / "notes.rtf").write_text("not a supported type", encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    manager = DocumentManager(settings, PlanIndex(settings))
    report = manager.reingest()
    kinds = {s.file: s.kind for s in report.skipped}
    assert kinds == {"empty.pdf": SkipReason.EMPTY, "broken.pdf": SkipReason.CORRUPT,
                     "notes.rtf": SkipReason.UNSUPPORTED_TYPE}
    status = {row[2]: row[3] for row in manager.rows()}
    assert status["empty.pdf"] == "ข้าม: ไฟล์ว่าง (empty file)"
    assert status["broken.pdf"].startswith("ข้าม: ไฟล์เสียหรืออ่านไม่ได้ (corrupt or unreadable PDF")
    assert status["notes.rtf"].startswith("ข้าม: ไม่รองรับไฟล์ชนิดนี้ (unsupported file type")
