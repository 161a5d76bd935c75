"""PDFs as offices publish them: every producer's fixture filed under its own office and answering its
vision question with a page citation; a password-protected PDF refused with what to do; a corrupt page
skipped while the rest is read; pdftotext missing on the machine."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest

from evals.cases import SEED_PLANS
from evals.pdf_cer import FIXTURES, manifest
from ingest.loaders import load
from planqa.errors import UnreadableDocument
from planqa.types import SectionKind, SkipReason, SourceDoc

TEXT = {f.file: f for f in manifest() if f.kind == "text"}
BY_KIND = {f.kind: f for f in manifest()}
_GAPS = re.compile(r"[\s\u00a0“”\"]+")


def _squash(text: str) -> str:
    from ingest.normalize import normalize_text

    return _GAPS.sub("", normalize_text(text))


def _seed_doc(file: str) -> SourceDoc:
    """The fixture's own lines of its seed plan, as the plain-text file would be read."""
    truth = TEXT[file].truth(SEED_PLANS)
    return SourceDoc(file, tuple(truth.split("\n")), "txt", "utf-8", "0" * 64)


def _vision(file: str) -> str:
    from ingest.structure import parse

    parsed = parse(_seed_doc(file))
    section = next(s for s in parsed.sections if s.kind is SectionKind.VISION)
    lines = parsed.doc.lines[section.start_line - 1 : section.end_line]
    heading = next(n for n, line in enumerate(lines) if "วิสัยทัศน์" in line)  # a glued title may come first
    return "\n".join(lines[heading + 1 :])


@pytest.mark.slow  # one real ingest of the text-PDF fixtures (bundled model), shared by the session
@pytest.mark.timeout(1500)  # may build the session PDF index: minutes on 2 busy cores
def test_every_text_pdf_is_filed_under_its_own_office_and_answers_its_vision(pdf_index) -> None:  # type: ignore[no-untyped-def]
    from ingest.structure import parse
    from retrieval.service import Service
    from tests.test_pages import _on_page

    svc = Service(pdf_index)
    offices: dict[str, list[str]] = {}
    for file in TEXT:
        filed = {chunk.office for chunk in svc.index.lexical.chunks_of(file)}
        expected = parse(_seed_doc(file)).office  # where its plain text would be filed
        assert filed == {expected}, (file, filed, expected)
        offices.setdefault(expected, []).append(file)
    assert len(offices) >= 4  # plans 000, 001, 003, 004
    for office, files in offices.items():
        answer = svc.answer(f"วิสัยทัศน์ของ {office} คืออะไร")
        assert not answer.abstained, (office, answer.abstain_reason)
        vision = _squash(_vision(files[0]))
        assert vision[:30] in _squash(answer.text), (office, answer.text)
        cited = [c for c in answer.citations if c.source in files and vision[:30] in _squash(c.text)]
        assert cited, (office, [c.source for c in answer.citations])
        for c in cited:  # cited by page, and the quote is on that page of the file
            assert c.page is not None and c.where().startswith(f"หน้า {c.page} บรรทัด")
            assert _on_page(c.text, FIXTURES / c.source, c.page), (c.source, c.where())


def test_a_password_protected_pdf_is_refused_with_what_to_do() -> None:
    from webui.documents import REASONS_TH

    name = "plan003_encrypted_password.pdf"
    with pytest.raises(UnreadableDocument) as caught:
        load(FIXTURES / name, name)
    assert caught.value.kind is SkipReason.PDF_ENCRYPTED
    assert "password" in str(caught.value) and "remove the password" in str(caught.value)
    assert "รหัสผ่าน" in REASONS_TH[SkipReason.PDF_ENCRYPTED]


def test_a_pdf_encrypted_with_an_empty_user_password_is_read_as_any_viewer_opens_it() -> None:
    locked, plain = "plan003_encrypted_no_user_password.pdf", "plan003_reportlab_harfbuzz_norasi.pdf"
    assert BY_KIND["encrypted"].file in (locked, "plan003_encrypted_password.pdf")
    doc = load(FIXTURES / locked, locked)
    assert doc.lines == load(FIXTURES / plain, plain).lines and len(doc.pages) == 3


def test_a_corrupt_page_is_skipped_and_the_rest_of_the_file_is_read(caplog: pytest.LogCaptureFixture) -> None:
    from pypdf import PdfReader

    broken, whole = "plan001_corrupt_page2.pdf", "plan001_reportlab_harfbuzz_garuda.pdf"
    with pytest.raises(Exception):  # noqa: B017  the fixture really is broken: pypdf cannot read page 2
        PdfReader(FIXTURES / broken).pages[1].extract_text()
    with caplog.at_level(logging.WARNING, logger="ingest.pdftext"):
        doc = load(FIXTURES / broken, broken)
    good = load(FIXTURES / whole, whole)
    assert [p.number for p in doc.pages] == [1, 2, 3]  # page numbers stay true

    def page(d: SourceDoc, n: int) -> list[str]:
        p = d.pages[n - 1]
        return list(d.lines[p.start_line - 1 : p.end_line])

    assert page(doc, 1) == page(good, 1) and page(doc, 3) == page(good, 3)
    assert not "".join(page(doc, 2)).strip() and "".join(page(good, 2)).strip()
    assert any("page 2 could not be read" in r.getMessage() and broken in r.getMessage() for r in caplog.records)
    # and said where the run's summary and the Documents tab show skips: the file's page 2, in Thai there
    from webui.documents import REASONS_TH

    [skip] = doc.skipped_pages
    assert (skip.file, skip.kind, skip.page) == (broken, SkipReason.PDF_PAGE_UNREADABLE, 2)
    assert "page 2 could not be read" in skip.reason and "หน้า" in REASONS_TH[skip.kind]
    assert not good.skipped_pages


def test_a_pdf_with_every_page_unreadable_is_corrupt(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter(clone_from=PdfReader(FIXTURES / "plan001_reportlab_harfbuzz_garuda.pdf"))
    for p in writer.pages:
        garbage = DecodedStreamObject()
        garbage.set_data(bytes(range(256)) * 4)
        p[NameObject("/Contents")] = writer._add_object(garbage)
    path = tmp_path / "all-broken.pdf"
    with path.open("wb") as f:
        writer.write(f)
    with pytest.raises(UnreadableDocument) as caught:
        load(path, path.name)
    assert caught.value.kind is SkipReason.CORRUPT and "no page could be read" in str(caught.value)


def test_without_pdftotext_a_pdf_is_read_by_pypdf_and_pdfium(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    from evals.pdf_cer import cer
    from ingest import pdftext

    name = "plan004_libreoffice_docx_laksaman.pdf"
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without poppler-utils
    monkeypatch.setattr(pdftext, "_warned", [])
    assert shutil.which("pdftotext") is None
    with caplog.at_level(logging.WARNING, logger="ingest.pdftext"):
        doc = load(FIXTURES / name, name)
    assert cer(doc.text, TEXT[name].truth(SEED_PLANS)) <= 0.01
    assert any("apt-get install poppler-utils" in r.getMessage() for r in caplog.records)


@pytest.mark.slow  # real ingests (bundled model)
def test_bad_pdfs_are_skipped_the_run_goes_on_and_nothing_indexed_is_lost(tmp_path: Path) -> None:
    from ingest.pipeline import run
    from planqa.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    plan = "plan003_libreoffice_docx_norasi.pdf"
    for name in (plan, "plan001_corrupt_page2.pdf", "plan003_encrypted_password.pdf"):
        shutil.copy(FIXTURES / name, corpus / name)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    report = run(settings)
    assert report.added == 2  # the plan and the PDF with a corrupt page
    locked = ("plan003_encrypted_password.pdf", SkipReason.PDF_ENCRYPTED, None)
    damaged = ("plan001_corrupt_page2.pdf", SkipReason.PDF_PAGE_UNREADABLE, 2)
    assert {(s.file, s.kind, s.page) for s in report.skipped} == {locked, damaged}
    from ingest.index import PlanIndex

    before = PlanIndex(settings).lexical.chunks_of(plan)
    assert before
    # the indexed plan is replaced by a password-protected copy: skipped, its chunks stay
    shutil.copy(FIXTURES / "plan003_encrypted_password.pdf", corpus / plan)
    again = run(settings)
    # (the unchanged file with a damaged page is not read again, so its page may go unreported this time)
    assert {(s.file, s.kind, s.page) for s in again.skipped} - {damaged} == {(plan, SkipReason.PDF_ENCRYPTED, None),
                                                                             locked}
    assert PlanIndex(settings).lexical.chunks_of(plan) == before


@pytest.mark.parametrize("name", ["plan001_reportlab_harfbuzz_garuda.pdf", "plan001_corrupt_page2.pdf",
                                  "plan000_mixed.pdf"])
def test_each_page_holds_its_own_seed_lines(name: str) -> None:
    from evals.pdf_cer import cer

    fixture = next(f for f in manifest() if f.file == name)
    doc = load(FIXTURES / name, name)
    assert len(doc.pages) == len(fixture.page_lines)
    for page, has_text in zip(doc.pages, fixture.text_layer):
        read = "\n".join(doc.lines[page.start_line - 1 : page.end_line])
        truth = fixture.page_truth(page.number)
        assert truth is not None
        if has_text:  # read, and on its own page: another page's lines would be all errors
            assert cer(read, truth) <= 0.01, (name, page.number)
        else:  # the corrupt page, or the image page (OCR's to read): nothing from a text layer
            assert not read.strip(), (name, page.number)


OCR_FIXTURES = [f.file for f in manifest() if f.kind in ("scan", "mixed", "image")]


@pytest.mark.slow  # real OCR and a real ingest (bundled model) per fixture
@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", OCR_FIXTURES)
def test_every_scan_mixed_pdf_and_image_is_filed_under_its_office_and_answers_its_vision(name: str,
                                                                                         tmp_path: Path) -> None:
    assert_answers_its_vision(name, tmp_path, retry_below=None)


def assert_answers_its_vision(name: str, tmp_path: Path, retry_below: float | None) -> None:
    """``name`` ingested alone (OCR with the re-read at its default, or at ``retry_below``): filed
    under the office its seed lines are filed under, and "วิสัยทัศน์ของ <office> คืออะไร" answered
    with the vision's words, cited by page, the quote (fuzzily: OCR) on that page's seed lines."""
    from rapidfuzz import fuzz

    from ingest.pipeline import run
    from ingest.structure import parse
    from planqa.settings import Settings
    from retrieval.service import Service

    fixture = next(f for f in manifest() if f.file == name)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FIXTURES / name, corpus / name)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    if retry_below is not None:
        settings = settings.model_copy(update={"ocr_retry_below": retry_below})
    report = run(settings)
    assert report.added == 1 and not report.skipped, report.skipped
    seed = SourceDoc(name, tuple(fixture.truth(SEED_PLANS).split("\n")), "txt", "utf-8", "0" * 64)
    office = parse(seed).office
    svc = Service(settings)
    filed = {chunk.office for chunk in svc.index.lexical.chunks_of(name)}
    assert filed == {office}, f"{name} filed under {filed}, not {office}"
    answer = svc.answer(f"วิสัยทัศน์ของ {office} คืออะไร")
    assert not answer.abstained, (name, answer.abstain_reason)
    section = next(s for s in parse(seed).sections if s.kind is SectionKind.VISION)
    lines = seed.lines[section.start_line - 1 : section.end_line]
    heading = next(n for n, line in enumerate(lines) if "วิสัยทัศน์" in line)  # a glued title may come first
    vision = _squash("\n".join(lines[heading + 1 :]))[:60]
    assert fuzz.partial_ratio(vision, _squash(answer.text)) >= 90, (name, vision, answer.text)
    cited = [c for c in answer.citations if c.source == name and fuzz.partial_ratio(vision, _squash(c.text)) >= 90]
    assert cited, (name, [(c.source, c.text) for c in answer.citations])
    for c in cited:
        assert c.page is not None and c.where().startswith(f"หน้า {c.page} บรรทัด"), c.where()
        page = fixture.page_truth(c.page, SEED_PLANS)
        assert page is not None and fuzz.partial_ratio(_squash(c.text), _squash(page)) >= 90, (name, c.where())


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_without_the_re_read_the_plan003_scan_is_misread(tmp_path: Path) -> None:
    """The test above fails on the 300 dpi scan of plan 003 when nothing is read twice
    (PLANQA_OCR_RETRY_BELOW=0): Otsu's binarisation of Norasi misreads its office line."""
    with pytest.raises(AssertionError, match="plan003_scan_300dpi.pdf filed under"):
        assert_answers_its_vision("plan003_scan_300dpi.pdf", tmp_path, retry_below=0.0)
