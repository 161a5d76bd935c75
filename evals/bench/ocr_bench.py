"""OCR benchmark: ``python -m evals.bench.ocr_bench [--samples DIR] [--runs 3] [--pages 20] [--json]``.

Prints figures, tests nothing. For each scan of seed plan 004 (สพม.มุกดาหาร) in ``--samples``
(``../shared/thai-pdf-samples``: 300 dpi and a degraded 200 dpi one; without them, a scan made
here by rendering the committed LibreOffice PDF at 300 dpi), over ``--runs`` runs:

* OCR seconds per page (the reader alone, ``PLANQA_OCR_WORKERS`` Tesseract processes), median;
* the CER of its reading against the seed text (``evals/cer.py``);
* ingested alone into a fresh index: the office it is filed under, and whether "วิสัยทัศน์ของ
  สพม.มุกดาหาร คืออะไร" is answered with a page citation whose quote is on that page.

Then a ``--pages``-page scan (the first scan's pages repeated) is ingested into a fresh index:
ingest seconds and seconds to answerable, medians.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT.parent / "shared" / "thai-pdf-samples"
SCANS = ("plan004_scan.pdf", "plan004_scan_degraded.pdf")
TRUTH = ROOT / "evals" / "seeds" / "004_324aff1e68aa4ee5.txt"
TEXT_PDF = ROOT / "tests" / "fixtures" / "thai_pdf" / "plan004_libreoffice_docx_laksaman.pdf"
QUESTION = "วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร"
_GAPS = re.compile(r"\s+")


def made_scan(dest: Path, dpi: int = 300) -> Path:
    """An image-only PDF of the committed text PDF, its pages rendered at ``dpi``."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(TEXT_PDF)
    images = [document[i].render(scale=dpi / 72, grayscale=True).to_pil() for i in range(len(document))]
    document.close()
    images[0].save(dest, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return dest


def repeated(scan: Path, pages: int, dest: Path) -> Path:
    """A ``pages``-page PDF: ``scan``'s pages over and over."""
    from pypdf import PdfReader, PdfWriter

    source = PdfReader(scan).pages
    writer = PdfWriter()
    for i in range(pages):
        writer.add_page(source[i % len(source)])
    with dest.open("wb") as f:
        writer.write(f)
    return dest


def read_scan(scan: Path, settings: Any) -> dict[str, Any]:
    from evals.cer import cer
    from ingest.loaders import load
    from ingest.ocr import OcrConfig

    started = time.perf_counter()
    doc = load(scan, scan.name, ocr=OcrConfig.from_settings(settings))
    seconds = time.perf_counter() - started
    confidences = [p.confidence for p in doc.pages if p.confidence is not None]
    return {"pages": len(doc.pages), "s_per_page": seconds / max(1, len(doc.pages)),
            "cer": cer(doc.text, TRUTH.read_text(encoding="utf-8")),
            "confidence": statistics.median(confidences) if confidences else None}


def ingest_and_ask(scan: Path, settings: Any) -> dict[str, Any]:
    """``scan`` alone in a fresh corpus and index: ingest timings, its office, the vision answer."""
    from ingest.index import PlanIndex
    from ingest.pipeline import run
    from retrieval.service import Service

    with tempfile.TemporaryDirectory(prefix="planqa-ocr-bench-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        shutil.copy(scan, corpus / scan.name)
        here = settings.model_copy(update={"corpus_dir": corpus, "index_dir": Path(tmp) / "index"})
        report = run(here)
        lexical = PlanIndex(here).lexical
        office = next((d.office for d in lexical.documents()), "")
        answer = Service(here).answer(QUESTION)
        cited = answer.citations[0] if answer.citations else None
        on_page = False
        if cited is not None and cited.page is not None:
            page = next(p for p in lexical.pages_of(cited.source) if p.number == cited.page)
            text = "".join(line.text for line in lexical.lines_of(cited.source, page.start_line, page.end_line))
            on_page = _GAPS.sub("", cited.text) in _GAPS.sub("", text)
        return {"ingest_s": report.seconds, "answerable_s": report.answerable_s, "office": office,
                "skipped": [s.reason for s in report.skipped], "abstained": answer.abstained,
                "where": cited.where() if cited else "", "quote": cited.text if cited else "",
                "quote_on_page": on_page}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench.ocr_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=Path, default=SAMPLES, help="folder of the scans (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", type=int, default=20, help="pages of the long scan")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args(argv)
    from planqa.settings import Settings

    settings = Settings()
    with tempfile.TemporaryDirectory(prefix="planqa-ocr-bench-") as tmp:
        scans = [args.samples / name for name in SCANS if (args.samples / name).exists()]
        if not scans:
            print(f"no scans in {args.samples}; making one from {TEXT_PDF.name} at 300 dpi", file=sys.stderr)
            scans = [made_scan(Path(tmp) / "plan004_made_scan.pdf")]
        out: dict[str, Any] = {"runs": args.runs, "workers": settings.ocr_workers or "cpu count", "scans": {}}
        for scan in scans:
            reads = [read_scan(scan, settings) for _ in range(args.runs)]
            print(f"{scan.name}: read {args.runs}x", file=sys.stderr)
            asked = ingest_and_ask(scan, settings)
            out["scans"][scan.name] = {"pages": reads[0]["pages"], "cer": reads[0]["cer"],
                                       "confidence": reads[0]["confidence"],
                                       "s_per_page": statistics.median(r["s_per_page"] for r in reads), **asked}
        long_scan = repeated(scans[0], args.pages, Path(tmp) / f"scan_{args.pages}_pages.pdf")
        runs = [ingest_and_ask(long_scan, settings) for _ in range(args.runs)]
        out["long"] = {"pages": args.pages, "ingest_s": statistics.median(r["ingest_s"] for r in runs),
                       "answerable_s": statistics.median(r["answerable_s"] for r in runs),
                       "answered": all(not r["abstained"] for r in runs)}
    print(json.dumps(out, ensure_ascii=False, indent=1) if args.json else table(out))
    return 0


def table(out: dict[str, Any]) -> str:
    lines = [f"OCR benchmark, medians of {out['runs']} runs, OCR workers: {out['workers']}", "",
             "| scan | pages | s/page | CER | confidence | office | vision answer | quote on its page |",
             "|---|---|---|---|---|---|---|---|"]
    for name, s in out["scans"].items():
        answer = "abstains" if s["abstained"] else s["where"]
        lines.append(f"| {name} | {s['pages']} | {s['s_per_page']:.2f} | {s['cer']:.2%} | {s['confidence']:.1f} "
                     f"| {s['office']} | {answer} | {'yes' if s['quote_on_page'] else 'no'} |")
    long = out["long"]
    lines += ["", f"{long['pages']}-page scan: ingest {long['ingest_s']:.1f} s, answerable after "
                  f"{long['answerable_s']:.1f} s, vision question answered: {'yes' if long['answered'] else 'no'}"]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
