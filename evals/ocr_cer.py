"""CER of the ingest's reading of each scan, mixed PDF and image fixture: Tesseract once, and with
the re-read of poor pages (``PLANQA_OCR_RETRY_BELOW``), with seconds per OCR'd page.

    python -m evals.ocr_cer [--kind scan --kind mixed --kind image] [--runs 3] [--samples DIR] [--json]

The fixtures are those of ``manifest.json`` of these kinds, plus the two scans of seed plan 004 in
``../shared/thai-pdf-samples/`` where that folder is present. Each is read by ``ingest.loaders.load``
as an ingest reads it. CER is measured on the OCR'd pages against the seed lines the manifest puts on
them (a mixed PDF's text pages are pdftotext's, measured by the text table), or on the whole file
where the manifest does not know its pages (the plan 004 samples: the whole seed plan). Seconds are
medians over ``--runs`` readings, divided by the pages OCR'd; the CER does not change between runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evals.cases import SEED_PLANS
from evals.pdf_cer import FIXTURES, FixtureTruth, cer, manifest, seed_span

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "thai-pdf-samples"
OCR_KINDS = ("scan", "mixed", "image")
BAR_CLEAN, BAR_DEGRADED = 0.04, 0.06  # the bars: a 300 dpi scan, a degraded one


@dataclass(frozen=True, slots=True)
class OcrReading:
    """One fixture read twice by the ingest's loader: without the re-read, and with it."""

    file: str
    label: str  # plan, producer, font, dpi
    bar: float
    ocr_pages: int
    cer_once: float
    cer_reread: float
    reread: int  # pages whose first reading's coverage was under the setting (read again)
    kept: int  # of those, pages where the second reading was kept
    s_page_once: float
    s_page_reread: float


def fixtures(folder: Path = FIXTURES, kinds: Sequence[str] = OCR_KINDS,
             samples: Path | None = SAMPLES) -> list[tuple[Path, FixtureTruth]]:
    """The OCR fixtures of ``kinds``, then the plan 004 sample scans (whole seed plan as truth)."""
    out = [(folder / f.file, f) for f in manifest(folder) if f.kind in kinds]
    if samples is not None and samples.is_dir() and "scan" in kinds:
        seed = "004_324aff1e68aa4ee5.txt"
        count = len((SEED_PLANS / seed).read_text(encoding="utf-8").split("\n"))
        for name, producer in (("plan004_scan.pdf", "pdftoppm 300 dpi, img2pdf (shared sample)"),
                               ("plan004_scan_degraded.pdf", "200 dpi, skew, noise, JPEG, img2pdf (shared sample)")):
            if (samples / name).exists():
                out.append((samples / name, _sample(name, producer, seed, count)))
    return out


def _sample(name: str, producer: str, seed: str, count: int) -> FixtureTruth:
    return FixtureTruth(name, "scan", producer, "Laksaman", seed, (1, count), (), ())


def bar(fixture: FixtureTruth) -> float:
    """6% for a degraded scan or a photo, 4% for a clean scan or a mixed PDF's image page."""
    text = fixture.producer.lower()
    degraded = fixture.kind == "image" or "degraded" in text or "skew" in text or "200 dpi" in text
    return BAR_DEGRADED if degraded else BAR_CLEAN


def _read(path: Path, retry_below: float) -> tuple[list[tuple[int, str]], list[tuple[int, str]], float]:
    """(OCR'd pages, every page) as (number, text), and the seconds the reading took."""
    from ingest.loaders import load
    from ingest.ocr import OcrConfig

    started = time.perf_counter()
    doc = load(path, path.name, ocr=OcrConfig.from_settings(_settings(retry_below)))
    seconds = time.perf_counter() - started
    pages = [(p.number, "\n".join(doc.lines[p.start_line - 1 : p.end_line])) for p in doc.pages]
    ocr = {p.number for p in doc.pages if p.ocr}
    return [(n, t) for n, t in pages if n in ocr], pages, seconds


def _settings(retry_below: float):  # type: ignore[no-untyped-def]
    from planqa.settings import Settings

    return Settings(ocr_retry_below=retry_below)


def _cer(fixture: FixtureTruth, ocr_pages: list[tuple[int, str]], pages: list[tuple[int, str]]) -> float:
    truths = [fixture.page_truth(n, SEED_PLANS) for n, _ in ocr_pages]
    if fixture.page_lines and all(t is not None for t in truths):
        return cer("\n".join(t for _, t in ocr_pages), "\n".join(t for t in truths if t is not None))
    return cer("\n".join(t for _, t in pages), seed_span(SEED_PLANS / fixture.seed, fixture.lines))


def measure_one(path: Path, fixture: FixtureTruth, runs: int = 1, retry_below: float | None = None) -> OcrReading:
    from ingest.ocr import dictionary_coverage
    from ingest.ocr_repair import repair_ocr_line

    threshold = _settings(0.0).model_fields["ocr_retry_below"].default if retry_below is None else retry_below
    dictionary_coverage(["วิสัยทัศน์"])  # the dictionary and the tone tables loaded before any timing
    repair_ocr_line("พืนที")
    once, again = [], []
    for _ in range(runs):  # interleaved, so that a change in the machine's load falls on both
        once.append(_read(path, 0.0))
        again.append(_read(path, threshold))
    ocr_once, all_once, _ = once[0]
    ocr_again, all_again, _ = again[0]
    n = max(1, len(ocr_once))
    reread = sum(dictionary_coverage(t.split("\n")) < threshold for _, t in ocr_once)
    kept = sum(a != b for (_, a), (_, b) in zip(ocr_once, ocr_again))
    dpi = "" if "dpi" in fixture.producer else f", {_dpi(fixture)}"
    label = f"{fixture.file.split('_')[0]}, {fixture.kind}: {fixture.producer}, {fixture.font}{dpi}"
    return OcrReading(fixture.file, label, bar(fixture), len(ocr_once), _cer(fixture, ocr_once, all_once),
                      _cer(fixture, ocr_again, all_again), reread, kept,
                      statistics.median(s for *_, s in once) / n, statistics.median(s for *_, s in again) / n)


def _dpi(fixture: FixtureTruth) -> str:
    return "150 dpi photo" if fixture.kind == "image" else "dpi unknown"


def measure(folder: Path = FIXTURES, kinds: Sequence[str] = OCR_KINDS, samples: Path | None = SAMPLES,
            runs: int = 1) -> list[OcrReading]:
    return [measure_one(path, fixture, runs) for path, fixture in fixtures(folder, kinds, samples)]


def table(readings: Sequence[OcrReading]) -> str:
    """A Markdown table, one row per fixture."""
    rows = ["| file (plan, kind: producer, font, dpi) | OCR pages | CER once | CER with re-read | pages re-read "
            "(kept) | s/page once | s/page with re-read | bar |", "|---" * 8 + "|"]
    for r in readings:
        ok = "ok" if r.cer_reread <= r.bar else "**over**"
        rows.append(f"| `{r.file}` ({r.label}) | {r.ocr_pages} | {r.cer_once:.2%} | **{r.cer_reread:.2%}** | "
                    f"{r.reread} ({r.kept}) | {r.s_page_once:.2f} | {r.s_page_reread:.2f} | ≤ {r.bar:.0%} {ok} |")
    return "\n".join(rows)


ALTERNATIVES: dict[str, tuple[str, ...]] = {
    "Otsu (default)": (),
    "Sauvola": ("-c", "thresholding_method=2"),
    "Leptonica Otsu": ("-c", "thresholding_method=1"),
    "--psm 6": ("--psm", "6"),
    "--psm 4": ("--psm", "4"),
}


def alternatives(path: Path, fixture: FixtureTruth, options: dict[str, tuple[str, ...]] = ALTERNATIVES,
                 workers: int = 2) -> dict[str, float]:
    """CER of each way of running Tesseract on every OCR'd page of ``path`` (always, no re-read)."""
    from concurrent.futures import ThreadPoolExecutor

    from ingest import scans
    from ingest.loaders import load
    from ingest.ocr import OcrConfig, require_tesseract, tesseract_page

    config = OcrConfig()
    program = require_tesseract(config)
    read = load(path, path.name, ocr=OcrConfig(retry_below=0.0))
    numbers = [p.number for p in read.pages if p.ocr]
    pages = [(p.number, "\n".join(read.lines[p.start_line - 1 : p.end_line])) for p in read.pages]
    raw = path.read_bytes()
    images = list(scans.image_frames(raw) if path.suffix.lower() == ".png" else
                  scans._pdf_images(raw, numbers, config.dpi))
    out = {}
    with ThreadPoolExecutor(workers) as pool:
        for name, extra in options.items():
            texts = dict(pool.map(lambda item, extra=extra: (item[0], "\n".join(  # type: ignore[misc]
                tesseract_page(program, item[0], item[1], config, extra).lines)), images))
            ocr = [(n, texts[n]) for n in numbers]
            whole = [(n, texts.get(n, t)) for n, t in pages]
            out[name] = _cer(fixture, ocr, whole)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.ocr_cer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixtures", type=Path, default=FIXTURES)
    parser.add_argument("--kind", action="append", choices=list(OCR_KINDS), help="fixture kinds (repeatable; "
                                                                                 "default all three)")
    parser.add_argument("--runs", type=int, default=1, help="readings per fixture and setting, for the median s/page")
    parser.add_argument("--samples", type=Path, default=SAMPLES, help="folder of the plan 004 sample scans")
    parser.add_argument("--json", action="store_true", help="one JSON object per fixture on stdout")
    args = parser.parse_args(argv)
    readings = []
    for path, fixture in fixtures(args.fixtures, args.kind or OCR_KINDS, args.samples):
        print(f"reading {path.name} ({args.runs} run(s), once and with re-read)", file=sys.stderr)
        readings.append(measure_one(path, fixture, args.runs))
    if args.json:
        for r in readings:
            print(json.dumps({"file": r.file, "ocr_pages": r.ocr_pages, "cer_once": r.cer_once,
                              "cer_reread": r.cer_reread, "reread": r.reread, "kept": r.kept,
                              "s_page_once": r.s_page_once, "s_page_reread": r.s_page_reread, "bar": r.bar},
                             ensure_ascii=False))
    else:
        print(table(readings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
