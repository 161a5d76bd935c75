"""Frozen records that flow between the stages (the contract).

ingest:    path -> SourceDoc -> list[Chunk]
retrieval: question -> Query -> list[Hit] -> Answer(text, citations)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

# (done, total, what): how long-running work reports progress (ingest runs, evaluations)
Progress = Callable[[int, int, str], None]


class SectionKind(StrEnum):
    """Canonical section kinds (stored in the index as these strings; "" for none)."""

    NONE = ""
    VISION = "vision"
    MISSION = "mission"
    GOAL = "goal"
    STRATEGY = "strategy"
    FOCUS = "focus"
    INDICATOR = "indicator"
    VALUES = "values"
    CULTURE = "culture"
    IDENTITY = "identity"
    UNIQUENESS = "uniqueness"
    MODEL = "model"

    @classmethod
    def parse(cls, value: str) -> SectionKind:
        """The kind stored as ``value``; NONE for a value this version does not know."""
        try:
            return cls(value)
        except ValueError:
            return cls.NONE


class AbstainReason(StrEnum):
    """Why an answer says the plans do not answer the question."""

    EMPTY = "empty"  # no question to speak of
    NO_INDEX = "no_index"  # nothing is indexed yet
    INDEXING = "indexing"  # the first ingest is still running
    UNKNOWN_OFFICE = "unknown_office"  # the office asked about has no plan in the index
    NUMBER = "number"  # a figure was asked; the evidence holds none
    PERSON = "person"
    CONTACT = "contact"
    DATE = "date"
    TOPIC = "topic"  # a topic no plan mentions
    WEAK = "weak"  # the evidence does not support an answer


# a line's rectangle on its page: (left, top, right, bottom) as fractions of the page's
# width and height, origin at the top-left corner (so it scales to any rendering of the page)
Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class PageInfo:
    """One page of a paged document (PDF, image) and the lines of ``SourceDoc.lines`` it holds."""

    number: int  # 1-based page number in the file
    start_line: int  # 1-based first line of this page in SourceDoc.lines
    end_line: int  # inclusive; start_line - 1 for a page that gave no text
    ocr: bool = False  # the text came from OCR (no text layer)
    confidence: float | None = None  # OCR pages: Tesseract's mean word confidence, 0-100

    def line_on_page(self, line: int) -> int:
        """The 1-based line number within this page of document line ``line``."""
        return line - self.start_line + 1


@dataclass(frozen=True, slots=True)
class StoredLine:
    """One line of an ingested document as the index keeps it (passages are served from these)."""

    line: int  # 1-based in SourceDoc.lines
    text: str
    page: int | None = None  # paged documents: the page holding it
    box: Box | None = None  # its rectangle on that page, where known


@dataclass(frozen=True, slots=True)
class SourceDoc:
    """A document read from the corpus, before any normalisation.

    ``lines`` are the file's lines as read (no line terminators); every line
    number we ever show is 1-based into this tuple.
    """

    source: str  # corpus-relative path, as cited
    lines: tuple[str, ...]
    format: str  # txt, md, html, pdf, docx, image
    encoding: str  # detected text encoding ("binary" for pdf/docx/image)
    sha256: str  # of the raw bytes
    # paged formats only (PDF, images); empty for the rest. Pages cover the lines in order.
    pages: tuple[PageInfo, ...] = ()
    # paged formats: each line's rectangle on its page (None where unknown); empty otherwise
    line_boxes: tuple[Box | None, ...] = ()
    # pages passed over while the rest was read (an OCR page over its time limit)
    skipped_pages: tuple[Skipped, ...] = ()

    def page_of(self, line: int) -> PageInfo | None:
        """The page holding 1-based ``line``, or None for an unpaged document."""
        for page in self.pages:
            if page.start_line <= line <= page.end_line:
                return page
        return None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and the lines it governs, as found by the structure parser."""

    title: str  # the heading as written (normalised), "" for the preamble
    kind: SectionKind  # canonical kind (NONE for the preamble)
    start_line: int  # 1-based, inclusive (the heading line itself)
    end_line: int
    items: tuple[tuple[str, int], ...] = ()  # (item number, line) in Arabic digits


@dataclass(frozen=True, slots=True)
class ParsedDoc:
    doc: SourceDoc
    office: str
    office_named: bool  # False when ``office`` is a fallback label
    title: str
    sections: tuple[Section, ...]


@dataclass(frozen=True, slots=True)
class Chunk:
    id: str  # stable across re-ingest: hash of source, labels, span and text
    source: str
    office: str
    section: str  # nearest heading as written ("" if none)
    section_kind: SectionKind  # canonical kind (NONE if none)
    items: tuple[str, ...]
    start_line: int  # 1-based, inclusive, in the ORIGINAL file
    end_line: int
    text: str  # the original text of those lines, for quoting
    content_hash: str
    # the words of each of its units (ingest/units.py) as ingest tokenised them, one string a
    # unit, words space-separated; None where the index has not stored them (then tokenised
    # when needed). Not part of the chunk's identity.
    unit_words: tuple[str, ...] | None = field(default=None, compare=False, repr=False)

    @property
    def embed_text(self) -> str:
        """What is embedded and lexically indexed: labels give context."""
        label = " | ".join(part for part in (self.office, self.section) if part)
        return f"{label}\n{self.text}" if label else self.text


@dataclass(frozen=True, slots=True)
class Query:
    """A question after normalisation and intent parsing."""

    text: str  # the question as asked
    normalized: str
    offices: tuple[str, ...] = ()  # offices named (canonical names in the index)
    unknown_offices: tuple[str, ...] = ()  # office mentions not in the index
    office_mentions: tuple[str, ...] = ()  # the mentions as written ("สพม.4", "Mukdahan")
    section_kinds: tuple[SectionKind, ...] = ()
    item_numbers: tuple[str, ...] = ()
    section_numbers: tuple[str, ...] = ()  # "กลยุทธ์ที่ 2" -> ("2",)
    wants_many_offices: bool = False  # "which office ..." questions
    compare: bool = False
    english: bool = False


@dataclass(frozen=True, slots=True)
class Hit:
    chunk: Chunk
    score: float  # the fused score used for ranking
    dense_score: float | None = None
    lexical_score: float | None = None
    dense_rank: int | None = None
    lexical_rank: int | None = None

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "id": c.id,
            "source": c.source,
            "office": c.office,
            "section": c.section,
            "section_kind": c.section_kind,
            "items": list(c.items),
            "start_line": c.start_line,
            "end_line": c.end_line,
            "text": c.text,
            "score": self.score,
            "dense_score": self.dense_score,
            "lexical_score": self.lexical_score,
        }


@dataclass(frozen=True, slots=True)
class Citation:
    n: int
    source: str
    office: str
    section: str
    start_line: int
    end_line: int
    text: str  # verbatim original lines start_line..end_line (stripped)
    chunk_id: str = ""
    # paged sources (PDF, images): the page of start_line and the lines counted on their pages
    # (page_end_line on end_page when the span runs onto a later page); None for the rest
    page: int | None = None
    page_start_line: int | None = None
    page_end_line: int | None = None
    end_page: int | None = None

    def where(self, lines_word: str = "บรรทัด", page_word: str = "หน้า") -> str:
        """"บรรทัด 5–7"; for a paged source "หน้า 3 บรรทัด 12–14" (lines counted on the page), or
        "หน้า 3 บรรทัด 40 – หน้า 4 บรรทัด 2" for a span across pages."""
        if self.page is None or self.page_start_line is None or self.page_end_line is None:
            return f"{lines_word} {span_text(self.start_line, self.end_line)}"
        if self.end_page is not None and self.end_page != self.page:
            return (f"{page_word} {self.page} {lines_word} {self.page_start_line} – "
                    f"{page_word} {self.end_page} {lines_word} {self.page_end_line}")
        return f"{page_word} {self.page} {lines_word} {span_text(self.page_start_line, self.page_end_line)}"

    def on_pages(self, pages: Sequence[PageInfo]) -> Citation:
        """This citation with its pages filled in from its document's ``pages`` (unchanged when unpaged)."""
        first = next((p for p in pages if p.start_line <= self.start_line <= p.end_line), None)
        if first is None:
            return self
        last = next((p for p in pages if p.start_line <= self.end_line <= p.end_line), first)
        return replace(self, page=first.number, page_start_line=first.line_on_page(self.start_line),
                       page_end_line=last.line_on_page(self.end_line), end_page=last.number)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def span_text(start: int, end: int) -> str:
    """"5" or "5–7"."""
    return f"{start}" if start == end else f"{start}–{end}"


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    abstained: bool
    rewritten_question: str = ""
    notes: tuple[str, ...] = field(default=())
    abstain_reason: AbstainReason | None = None  # set when ``abstained``

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "rewritten_question": self.rewritten_question,
            "text": self.text,
            "abstained": self.abstained,
            "abstain_reason": self.abstain_reason.value if self.abstain_reason else None,
            "citations": [c.to_dict() for c in self.citations],
            "hits": [h.to_dict() for h in self.hits],
            "notes": list(self.notes),
        }


class SkipReason(StrEnum):
    """Why a file was passed over by an ingest run: the code the UI keys its (Thai) label on.

    ``Skipped.reason`` keeps the English detail for logs and the CLI."""

    MISSING = "missing"  # named on the command line, not there
    FOLDER_UNREADABLE = "folder_unreadable"
    NAME_NOT_UTF8 = "name_not_utf8"
    BROKEN_LINK = "broken_link"
    OUTSIDE_CORPUS = "outside_corpus"  # a link out of the corpus folder
    NOT_REGULAR = "not_regular"  # FIFO, socket, device
    UNSUPPORTED_TYPE = "unsupported_type"
    DUPLICATE = "duplicate"  # same bytes as a file read earlier in the run
    TOO_LARGE = "too_large"
    CANNOT_READ = "cannot_read"  # the OS refused to read it
    EMPTY = "empty"
    NO_TEXT = "no_text"
    BINARY = "binary"  # binary data, or no text encoding fits
    CORRUPT = "corrupt"  # a damaged PDF, HTML that cannot be parsed
    PDF_ENCRYPTED = "pdf_encrypted"  # a PDF that needs a password to open
    PDF_PAGE_UNREADABLE = "pdf_page_unreadable"  # one damaged page of a PDF (the rest is read)
    TOO_COMPLEX = "too_complex"  # over a PDF page or time limit, HTML nested too deeply
    PDF_NO_TEXT_LAYER = "pdf_no_text_layer"
    DOCX_INVALID = "docx_invalid"  # damaged, or a decompression bomb
    CATALOGUE_INVALID = "catalogue_invalid"  # corpus/offices.toml is not valid TOML (the run goes on without it)
    NEEDS_OCR = "needs_ocr"  # an image read without OCR (an upload's check)
    OCR_UNAVAILABLE = "ocr_unavailable"  # a scan or image, and no Tesseract with Thai here
    NO_THAI_TEXT = "no_thai_text"  # OCR found no Thai in a scan or image
    OCR_PAGE_FAILED = "ocr_page_failed"  # one page: OCR over its time limit or failed (the rest is read)
    OCR_BUDGET = "ocr_budget"  # one page: the file's OCR time budget was used before it (the pages read are kept)


@dataclass(frozen=True, slots=True)
class Skipped:
    file: str
    reason: str  # English detail, for logs and the CLI
    kind: SkipReason
    page: int | None = None  # one page passed over; the rest of the file was read


@dataclass(frozen=True, slots=True)
class OcrWork:
    """A scan or image that a run would OCR (a dry run lists them without running Tesseract)."""

    file: str
    pages: int  # pages without a text layer, to OCR
    total_pages: int


@dataclass(frozen=True, slots=True)
class PageSpan:
    """Pages of one file passed over one after another for the same reason (shown as one line)."""

    file: str
    reason: str
    kind: SkipReason
    first: int
    last: int  # inclusive

    def pages(self, one: str = "page", many: str = "pages", dash: str = "-") -> str:
        """"page 7" or "pages 121-300" (in Thai: ``pages("หน้า", "หน้า", "–")``)."""
        return f"{one} {self.first}" if self.first == self.last else f"{many} {self.first}{dash}{self.last}"


def page_spans(skipped: Sequence[Skipped]) -> list[PageSpan]:
    """The skipped pages (``page`` set) grouped into runs of consecutive pages of one file with
    the same reason, in the order they come; 180 pages over an OCR budget read as one line."""
    spans: list[PageSpan] = []
    for s in skipped:
        if s.page is None:
            continue
        prev = spans[-1] if spans else None
        if prev and (prev.file, prev.reason, prev.kind) == (s.file, s.reason, s.kind) and s.page == prev.last + 1:
            spans[-1] = replace(prev, last=s.page)
        else:
            spans.append(PageSpan(s.file, s.reason, s.kind, s.page, s.page))
    return spans


@dataclass(frozen=True, slots=True)
class IndexedDocument:
    """One indexed file as the lexical store records it (``LexicalIndex.documents()``)."""

    source: str  # corpus-relative file name, as cited
    office: str  # the office its chunks carry
    office_named: bool  # the plan names the office as its own (else a fallback label): conflicts count only these
    title: str
    sha256: str  # of the file's bytes as indexed ("" marks it changed: the next run writes it again)
    format: str
    encoding: str
    sections: tuple[str, ...]  # its section titles, in order
    chunk_ids: tuple[str, ...]  # in document order
    aliases: tuple[str, ...] = ()  # other names for the office, from corpus/offices.toml
    ingested_at: str = ""  # ISO 8601, UTC, seconds


@dataclass(frozen=True, slots=True)
class Conflict:
    """Documents that claim the same office: one of them is probably not that office's plan."""

    office: str
    files: tuple[str, ...]


@dataclass(slots=True)
class IngestReport:
    seen: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    chunks: int = 0  # chunks written (added to the stores)
    chunks_deleted: int = 0
    seconds: float = 0.0
    answerable_s: float = 0.0  # when the written chunks could be asked about (before sentence and word vectors)
    dry_run: bool = False
    conflicts: list[Conflict] = field(default_factory=list)
    to_ocr: list[OcrWork] = field(default_factory=list)  # dry runs: the OCR a real run would do

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        # "page" only on a skipped page: a skipped file reads as it always did
        out["skipped"] = [{k: v for k, v in d.items() if k != "page" or v is not None} for d in out["skipped"]]
        out["seconds"] = round(self.seconds, 3)
        out["answerable_s"] = round(self.answerable_s, 3)
        return out
