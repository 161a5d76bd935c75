"""CER of each PDF text extractor on the text-PDF fixtures, against the seed plans they were made from.

    python -m evals.pdf_cer [--fixtures tests/fixtures/thai_pdf] [--json]

Scans, mixed PDFs and images, read by OCR, have their own table: ``python -m evals.ocr_cer``.

The fixtures and their ground truth (seed plan, lines, pages) are listed in the folder's
``manifest.json``, written by ``scripts/make_thai_pdf_fixtures.py``. Both sides are normalised as
ingest normalises (``ingest.normalize``) and all whitespace is removed, so the figure counts the
characters read wrong, not the line breaks. CER = edit distance / length of the truth.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from evals.cases import SEED_PLANS

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "thai_pdf"
_SPACE = re.compile(r"\s+")
_PUA = re.compile("[\uf700-\uf71a]")


@dataclass(frozen=True, slots=True)
class FixtureTruth:
    """One fixture as the manifest describes it."""

    file: str
    kind: str  # text | scan | mixed | image | encrypted | corrupt_page
    producer: str
    font: str
    seed: str
    lines: tuple[int, int]
    page_lines: tuple[tuple[int, int] | None, ...]  # per page, the seed lines on it, where known
    text_layer: tuple[bool, ...]

    def truth(self, seeds: Path = SEED_PLANS) -> str:
        return seed_span(seeds / self.seed, self.lines)

    def page_truth(self, number: int, seeds: Path = SEED_PLANS) -> str | None:
        """The seed text on page ``number`` (1-based), or None where the manifest does not know it."""
        span = self.page_lines[number - 1] if 0 < number <= len(self.page_lines) else None
        return seed_span(seeds / self.seed, span) if span else None


def seed_span(path: Path, lines: tuple[int, int]) -> str:
    return "\n".join(path.read_text(encoding="utf-8").split("\n")[lines[0] - 1 : lines[1]])


def manifest(folder: Path = FIXTURES) -> tuple[FixtureTruth, ...]:
    """The fixtures listed in ``folder/manifest.json``."""
    data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return tuple(
        FixtureTruth(f["file"], f["kind"], f["producer"], f["font"], f["seed"], (f["lines"][0], f["lines"][1]),
                     tuple(tuple(p["lines"]) if p["lines"] else None for p in f["pages"]),  # type: ignore[misc]
                     tuple(bool(p["text_layer"]) for p in f["pages"]))
        for f in data["fixtures"]
    )


def squash(text: str) -> str:
    """Normalised as ingest does, whitespace removed: what CER is measured on."""
    from ingest.normalize import normalize_text

    return _SPACE.sub("", normalize_text(text))


def cer(read: str, truth: str) -> float:
    """Character error rate of ``read`` against ``truth``, both squashed first."""
    try:
        from rapidfuzz.distance import Levenshtein
    except ImportError as exc:  # a dev dependency: pip install -e '.[dev]'
        raise SystemExit("evals.pdf_cer needs rapidfuzz: pip install rapidfuzz (or -e '.[dev]')") from exc
    a, b = squash(read), squash(truth)
    return Levenshtein.distance(a, b) / max(1, len(b))


# --- the extractors measured: each reads a file into its pages' texts ------------------------------

def _pypdf(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(path).pages]


def _pdfium(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    try:
        return [str(page.get_textpage().get_text_bounded()) for page in document]
    finally:
        document.close()


def _poppler(mode: str) -> Callable[[Path], list[str]]:
    def read(path: Path) -> list[str]:
        if shutil.which("pdftotext") is None:
            raise FileNotFoundError("pdftotext (apt-get install poppler-utils)")
        out = subprocess.run(["pdftotext", mode, "-enc", "UTF-8", str(path), "-"], capture_output=True,
                             check=True, timeout=120).stdout.decode("utf-8")
        return out.split("\f")[:-1] if out.endswith("\f") else out.split("\f")

    return read


def _pdfminer(path: Path) -> list[str]:
    from pdfminer.high_level import extract_text  # measured only: not a dependency of the reader
    from pypdf import PdfReader

    return [extract_text(str(path), page_numbers=[i]) for i in range(len(PdfReader(path).pages))]


def _loader(path: Path) -> list[str]:
    from ingest.loaders import load

    doc = load(path, path.name)
    return ["\n".join(doc.lines[p.start_line - 1 : p.end_line]) for p in doc.pages]


def _pypdf_or_pdfium(path: Path) -> list[str]:
    """The reader before poppler joined it (and what it falls back to without pdftotext): the best
    of pypdf's and pdfium's repaired readings of each page."""
    from ingest.pdftext import best_reading

    return [best_reading(a, b) for a, b in zip(_pypdf(path), _pdfium(path))]


def _repaired(read: Callable[[Path], list[str]]) -> Callable[[Path], list[str]]:
    from ingest.thai_repair import repair_text

    return lambda path: [repair_text(page) for page in read(path)]


EXTRACTORS: dict[str, Callable[[Path], list[str]]] = {
    "pypdf": _pypdf,
    "pypdf+repair": _repaired(_pypdf),
    "pdfium": _pdfium,
    "pdfium+repair": _repaired(_pdfium),
    "pdftotext -layout": _poppler("-layout"),
    "pdftotext -layout+repair": _repaired(_poppler("-layout")),
    "pdftotext -raw+repair": _repaired(_poppler("-raw")),
    "pdfminer+repair": _repaired(_pdfminer),
    "best of pypdf, pdfium": _pypdf_or_pdfium,
    "loader": _loader,
}


@dataclass(frozen=True, slots=True)
class Reading:
    file: str
    extractor: str
    cer: float | None  # None: the extractor failed or is not installed
    pua: int  # Private Use Area characters left in the text
    note: str = ""


def measure(folder: Path = FIXTURES, extractors: Sequence[str] = tuple(EXTRACTORS),
            kinds: Sequence[str] = ("text",)) -> list[Reading]:
    readings = []
    for fixture in manifest(folder):
        if fixture.kind not in kinds:
            continue
        truth = fixture.truth()
        for name in extractors:
            try:
                text = "\n".join(EXTRACTORS[name](folder / fixture.file))
            except Exception as exc:  # an extractor missing or failing is a row, not the end of the table
                readings.append(Reading(fixture.file, name, None, 0, f"{type(exc).__name__}: {exc}"[:80]))
                continue
            readings.append(Reading(fixture.file, name, cer(text, truth), len(_PUA.findall(text))))
    return readings


def table(readings: Sequence[Reading], folder: Path = FIXTURES) -> str:
    """A Markdown table: one row per fixture (its kind, producer and font), one column per extractor."""
    by_file = {f.file: f for f in manifest(folder)}
    names = list(dict.fromkeys(r.extractor for r in readings))
    files = list(dict.fromkeys(r.file for r in readings))
    cell = {(r.file, r.extractor): r for r in readings}
    rows = ["| PDF (plan, producer, font) | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for file in files:
        f = by_file[file]
        label = f"{file.split('_')[0]}, {f.producer.split(',')[0].split(' from')[0].split(' of ')[0]}, {f.font}"
        cells = []
        for name in names:
            r = cell[(file, name)]
            cells.append("–" if r.cer is None else f"{r.cer:.2%}" + (f", {r.pua} PUA" if r.pua else ""))
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    worst = {n: max((cell[(f, n)].cer or 0.0) for f in files) for n in names if all(cell[(f, n)].cer is not None
                                                                                     for f in files)}
    rows.append("| **worst** | " + " | ".join(f"**{worst[n]:.2%}**" if n in worst else "–" for n in names) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.pdf_cer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixtures", type=Path, default=FIXTURES)
    parser.add_argument("--extractor", action="append", choices=list(EXTRACTORS), help="only these (repeatable)")
    parser.add_argument("--json", action="store_true", help="one JSON object per reading on stdout")
    args = parser.parse_args(argv)
    readings = measure(args.fixtures, args.extractor or tuple(EXTRACTORS))
    if args.json:
        for r in readings:
            print(json.dumps({"file": r.file, "extractor": r.extractor, "cer": r.cer, "pua": r.pua, "note": r.note},
                             ensure_ascii=False))
    else:
        print(table(readings, args.fixtures))
        for r in readings:
            if r.note:
                print(f"{r.file} / {r.extractor}: {r.note}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
