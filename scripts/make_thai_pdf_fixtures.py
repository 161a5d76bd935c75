"""Make the Thai PDF and image fixtures from the seed plans, with the producers offices use.

    python scripts/make_thai_pdf_fixtures.py [--out tests/fixtures/thai_pdf] [--only NAME ...]

Text PDFs: LibreOffice headless from a DOCX (python-docx, a TLWG font set for Thai), Chromium's
--print-to-pdf from an HTML page, and reportlab with HarfBuzz shaping (glyphs drawn as the
characters the font's cmap gives them, Private Use Area marks included, as simple generators do).
Scans: reportlab pages rendered by pdfium and put in a PDF by img2pdf with no text layer, at 300 dpi
(clean, bilevel) and at 200 dpi (skewed, noisy, JPEG). A mixed PDF (text pages and one image-only
page), a photo-like PNG, a password-protected PDF and a PDF with one corrupt page.

Each file's ground truth (the seed plan and its lines, per page where this script laid the page
out) goes into ``manifest.json`` next to them; ``evals/pdf_cer.py`` and the tests read it. The four
``plan004_*`` PDFs there came from ``../shared/thai-pdf-samples`` and are kept as they are.

Needs: soffice (LibreOffice), chromium, fonts-thai-tlwg, and the Python packages reportlab,
uharfbuzz, img2pdf, python-docx, pypdfium2, pypdf, Pillow, numpy (pip install -e '.[fixtures]').
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "evals" / "seeds"
FONTS = Path("/usr/share/fonts/truetype/tlwg")
PT = 16  # TH Sarabun's usual size in Thai government documents
PAGE_W, PAGE_H, MARGIN = 595.0, 842.0, 56.0  # A4 in points, 2 cm margins
LEADING = PT * 1.45


@dataclass(frozen=True)
class PageTruth:
    number: int
    text_layer: bool
    lines: tuple[int, int] | None  # the seed lines on this page (1-based, inclusive), where known


@dataclass(frozen=True)
class Fixture:
    file: str
    kind: str  # text | scan | mixed | image | encrypted | corrupt_page
    producer: str
    font: str
    seed: str
    lines: tuple[int, int]  # the seed lines the file holds
    pages: tuple[PageTruth, ...] = ()
    note: str = ""
    extra: dict[str, object] = field(default_factory=dict)


def seed_path(plan: str) -> Path:
    return next(SEEDS.glob(f"{plan}_*.txt"))


def seed_lines(plan: str) -> list[str]:
    return seed_path(plan).read_text(encoding="utf-8").split("\n")


# --- LibreOffice from a DOCX --------------------------------------------------------------------

def make_docx(lines: list[str], font: str, out: Path) -> None:
    """One paragraph per seed line, Normal style in ``font`` for Latin and complex (Thai) script."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.name = font
    style.font.size = Pt(PT)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), font)
    size_cs = rpr.makeelement(qn("w:szCs"), {qn("w:val"): str(PT * 2)})
    rpr.append(size_cs)
    style.paragraph_format.space_after = Pt(0)
    for line in lines:
        document.add_paragraph(line)
    document.save(str(out))


def soffice_pdf(source: Path, out: Path, work: Path) -> None:
    profile = work / "lo-profile"
    cmd = ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
           "--outdir", str(work), str(source)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=180)
    shutil.move(work / (source.stem + ".pdf"), out)


def libreoffice_docx(plan: str, font: str, out: Path, work: Path) -> Fixture:
    lines = seed_lines(plan)
    docx = work / f"{out.stem}.docx"
    make_docx(lines, font, docx)
    soffice_pdf(docx, out, work)
    return Fixture(out.name, "text", "LibreOffice headless from a python-docx DOCX", font, seed_path(plan).name,
                   (1, len(lines)))


# --- Chromium print-to-pdf ----------------------------------------------------------------------

def chromium_print(plan: str, font: str, out: Path, work: Path) -> Fixture:
    from html import escape

    lines = seed_lines(plan)
    body = "\n".join(f"<p>{escape(line) or '&nbsp;'}</p>" for line in lines)
    page = (f'<!doctype html><html lang="th"><head><meta charset="utf-8"><title>{escape(lines[0])}</title>'
            f"<style>body{{font-family:'{font}';font-size:{PT}pt;margin:0}} p{{margin:0;white-space:pre-wrap}}"
            "</style></head>" f"<body>{body}</body></html>")
    html = work / f"{out.stem}.html"
    html.write_text(page, encoding="utf-8")
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
           f"--user-data-dir={work / 'chromium-profile'}", f"--print-to-pdf={out}", html.as_uri()]
    subprocess.run(cmd, check=True, capture_output=True, timeout=180)
    return Fixture(out.name, "text", "Chromium --headless --print-to-pdf of an HTML page", font,
                   seed_path(plan).name, (1, len(lines)))


# --- reportlab with HarfBuzz shaping ------------------------------------------------------------

class Shaper:
    """HarfBuzz shaping of one TLWG font, and the character reportlab must draw for each glyph."""

    def __init__(self, font: str) -> None:
        import uharfbuzz as hb
        from fontTools.ttLib import TTFont
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont as RLFont

        path = FONTS / f"{font}.ttf"
        blob = hb.Blob.from_file_path(str(path))
        self.font = hb.Font(hb.Face(blob))
        self.upem = self.font.face.upem
        cmap = TTFont(str(path))["cmap"].getBestCmap()
        order = TTFont(str(path)).getGlyphOrder()
        by_name: dict[str, int] = {}
        for code, name in sorted(cmap.items()):
            by_name.setdefault(name, code)  # the lowest code point naming a glyph (PUA only if alone)
        self.char_of = {gid: chr(by_name[name]) for gid, name in enumerate(order) if name in by_name}
        self.name = f"{font}-hb"
        pdfmetrics.registerFont(RLFont(self.name, str(path)))

    def shape(self, text: str) -> list[tuple[str, float, float, float]]:
        """(characters to draw, x offset, y offset, advance) per glyph, in points at ``PT``."""
        import uharfbuzz as hb

        if not text:
            return []
        buf = hb.Buffer()
        buf.add_codepoints([ord(c) for c in text])  # clusters are then indices into ``text``
        buf.guess_segment_properties()
        hb.shape(self.font, buf, {})
        scale = PT / self.upem
        out = []
        clusters = [info.cluster for info in buf.glyph_infos]
        for k, (info, pos) in enumerate(zip(buf.glyph_infos, buf.glyph_positions)):
            char = self.char_of.get(info.codepoint)
            if char is None:  # a glyph with no code point of its own: its cluster's characters
                nxt = next((c for c in clusters[k + 1:] if c > info.cluster), len(text))
                char = text[info.cluster:nxt]
            out.append((char, pos.x_offset * scale, pos.y_offset * scale, pos.x_advance * scale))
        return out

    def width(self, text: str) -> float:
        return sum(g[3] for g in self.shape(text))


def wrap(shaper: Shaper, line: str, width: float) -> list[str]:
    """``line`` broken at Thai word boundaries (newmm) so that each piece fits ``width``."""
    from pythainlp.tokenize import word_tokenize

    if shaper.width(line) <= width:
        return [line]
    pieces, current = [], ""
    for word in word_tokenize(line, engine="newmm", keep_whitespace=True):
        if current and shaper.width(current + word) > width:
            pieces.append(current.rstrip())
            current = word.lstrip()
        else:
            current += word
    if current.strip():
        pieces.append(current)
    return pieces


def layout(shaper: Shaper, lines: list[str], first: int) -> list[list[tuple[int, list[str]]]]:
    """Pages of (seed line number, its wrapped pieces); a seed line is never split across pages."""
    per_page = int((PAGE_H - 2 * MARGIN) // LEADING)
    pages: list[list[tuple[int, list[str]]]] = [[]]
    used = 0
    for n, line in enumerate(lines, first):
        pieces = wrap(shaper, line, PAGE_W - 2 * MARGIN) if line.strip() else [""]
        if used + len(pieces) > per_page and pages[-1]:
            pages.append([])
            used = 0
        pages[-1].append((n, pieces))
        used += len(pieces)
    return pages


def reportlab_pdf(shaper: Shaper, pages: list[list[tuple[int, list[str]]]], out: Path) -> tuple[PageTruth, ...]:
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(out), pagesize=(PAGE_W, PAGE_H), invariant=1)
    truth = []
    for number, page in enumerate(pages, 1):
        y = PAGE_H - MARGIN - PT
        for _, pieces in page:
            for piece in pieces:
                x = MARGIN
                canvas.setFont(shaper.name, PT)
                for char, dx, dy, advance in shaper.shape(piece):
                    if char.strip():
                        canvas.drawString(x + dx, y + dy, char)
                    x += advance
                y -= LEADING
        canvas.showPage()
        truth.append(PageTruth(number, True, (page[0][0], page[-1][0])))
    canvas.save()
    return tuple(truth)


def reportlab_harfbuzz(plan: str, font: str, out: Path, work: Path, span: tuple[int, int] | None = None) -> Fixture:
    lines = seed_lines(plan)
    first, last = span or (1, len(lines))
    shaper = Shaper(font)
    pages = reportlab_pdf(shaper, layout(shaper, lines[first - 1:last], first), out)
    return Fixture(out.name, "text", "reportlab, glyphs shaped by uharfbuzz", font, seed_path(plan).name,
                   (first, last), pages)


# --- scans, a mixed PDF, a photo ----------------------------------------------------------------

def render(pdf: Path, dpi: int) -> list[object]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for page in document]
    finally:
        document.close()


def degrade(image, seed: int):  # type: ignore[no-untyped-def]
    """A page as a tired office scanner gives it: skewed, noisy, slightly blurred, greyish paper."""
    import numpy as np
    from PIL import Image, ImageFilter

    rng = np.random.default_rng(seed)
    skewed = image.rotate(1.3, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=False)
    px = np.asarray(skewed.filter(ImageFilter.GaussianBlur(0.6)), dtype=float)
    px = px * 0.88 + 18 + rng.normal(0, 7, px.shape)  # grey paper, sensor noise
    return Image.fromarray(np.clip(px, 0, 255).astype("uint8"), "L")


def image_pdf(images: list[object], dpi: int, jpeg: int | None) -> bytes:
    import img2pdf

    blobs = []
    for image in images:
        buf = io.BytesIO()
        if jpeg:
            image.save(buf, "JPEG", quality=jpeg, dpi=(dpi, dpi))  # type: ignore[attr-defined]
        else:
            image.save(buf, "PNG", dpi=(dpi, dpi), optimize=True)  # type: ignore[attr-defined]
        blobs.append(buf.getvalue())
    return img2pdf.convert(blobs)


def scan(plan: str, font: str, out: Path, work: Path, span: tuple[int, int], dpi: int, degraded: bool) -> Fixture:
    source = reportlab_harfbuzz(plan, font, work / f"{out.stem}-source.pdf", work, span)
    images = render(work / source.file, dpi)
    if degraded:
        images = [degrade(im, seed=n) for n, im in enumerate(images)]
    else:  # a document scanner's bilevel mode
        images = [im.point(lambda v: 255 if v > 160 else 0).convert("1") for im in images]  # type: ignore[attr-defined]
    out.write_bytes(image_pdf(images, dpi, jpeg=35 if degraded else None))
    how = f"{dpi} dpi, skewed 1.3°, blur, noise, JPEG q35" if degraded else f"{dpi} dpi bilevel"
    pages = tuple(PageTruth(p.number, False, p.lines) for p in source.pages)
    return Fixture(out.name, "scan", f"reportlab pages rendered by pdfium, img2pdf ({how}), no text layer", font,
                   source.seed, source.lines, pages, extra={"dpi": dpi, "degraded": degraded})


def mixed(plan: str, font: str, out: Path, work: Path, span: tuple[int, int]) -> Fixture:
    """The text PDF with its last page replaced by a 300 dpi bilevel image of that page."""
    from pypdf import PdfReader, PdfWriter

    source = reportlab_harfbuzz(plan, font, work / f"{out.stem}-source.pdf", work, span)
    last = render(work / source.file, 300)[-1]
    image = image_pdf([last.point(lambda v: 255 if v > 160 else 0).convert("1")], 300, None)  # type: ignore[attr-defined]
    writer = PdfWriter()
    reader = PdfReader(work / source.file)
    for page in reader.pages[:-1]:
        writer.add_page(page)
    writer.add_page(PdfReader(io.BytesIO(image)).pages[0])
    with out.open("wb") as f:
        writer.write(f)
    pages = tuple(PageTruth(p.number, p.number < len(source.pages), p.lines) for p in source.pages)
    return Fixture(out.name, "mixed", "reportlab + HarfBuzz text pages, the last page an img2pdf image (300 dpi)",
                   font, source.seed, source.lines, pages)


def photo(plan: str, font: str, out: Path, work: Path, span: tuple[int, int]) -> Fixture:
    """The top of a page as a phone photographs it: perspective, uneven light, a warm cast, blur."""
    import numpy as np
    from PIL import Image, ImageFilter

    source = reportlab_harfbuzz(plan, font, work / f"{out.stem}-source.pdf", work, span)
    shaper = Shaper(font)
    rows, kept = 0, span[0]
    for n, pieces in layout(shaper, seed_lines(plan)[span[0] - 1:span[1]], span[0])[0]:
        if rows + len(pieces) > 12:
            break
        rows, kept = rows + len(pieces), n
    page = render(work / source.file, 150)[0]
    w, h = page.size  # type: ignore[attr-defined]
    top = page.crop((0, 0, w, int((MARGIN + LEADING * rows + PT / 2) / 72 * 150)))  # type: ignore[attr-defined]
    w, h = top.size
    quad = (int(0.03 * w), int(0.02 * h), int(0.01 * w), int(0.98 * h), w, h, int(0.96 * w), 0)
    warped = top.transform((w, h), Image.Transform.QUAD, quad, resample=Image.Resampling.BICUBIC, fillcolor=235)
    px = np.asarray(warped.filter(ImageFilter.GaussianBlur(0.7)), dtype=float)
    light = np.linspace(1.0, 0.78, w)[None, :] * np.linspace(1.0, 0.9, h)[:, None]
    grey = np.clip(px * light, 0, 255)
    rgb = np.stack([grey, grey * 0.96, grey * 0.86], axis=-1).round() // 4 * 4  # warm cast, few colours
    Image.fromarray(rgb.astype("uint8"), "RGB").save(out, optimize=True)
    lines = (span[0], kept)
    return Fixture(out.name, "image", "a reportlab page rendered at 150 dpi, cropped, perspective, light falloff, blur",
                   font, source.seed, lines, (PageTruth(1, False, lines),))


# --- bad input -----------------------------------------------------------------------------------

def encrypted(source: Path, out: Path, user_password: str) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-128")
    with out.open("wb") as f:
        writer.write(f)


def corrupt_page(source: Path, out: Path, page: int) -> None:
    """``source`` with page ``page``'s content stream overwritten by binary garbage (as a damaged
    download or disk leaves it): pypdf raises on that page, pdfium reads nothing from it."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter(clone_from=PdfReader(source))
    broken = DecodedStreamObject()
    broken.set_data(bytes(range(256)) * 4)
    writer.pages[page - 1][NameObject("/Contents")] = writer._add_object(broken)
    with out.open("wb") as f:
        writer.write(f)


# --- the set -------------------------------------------------------------------------------------

Maker = Callable[[Path, Path], Fixture]
MAKERS: dict[str, Maker] = {
    "plan000_libreoffice_docx_garuda.pdf": lambda o, w: libreoffice_docx("000", "Garuda", o, w),
    "plan001_chromium_print_norasi.pdf": lambda o, w: chromium_print("001", "Norasi", o, w),
    "plan003_reportlab_harfbuzz_norasi.pdf": lambda o, w: reportlab_harfbuzz("003", "Norasi", o, w),
    "plan003_libreoffice_docx_norasi.pdf": lambda o, w: libreoffice_docx("003", "Norasi", o, w),
    "plan001_reportlab_harfbuzz_garuda.pdf": lambda o, w: reportlab_harfbuzz("001", "Garuda", o, w),
    "plan000_chromium_print_laksaman.pdf": lambda o, w: chromium_print("000", "Laksaman", o, w),
    "plan003_scan_300dpi.pdf": lambda o, w: scan("003", "Norasi", o, w, (1, 15), 300, degraded=False),
    "plan003_scan_200dpi_degraded.pdf": lambda o, w: scan("003", "Norasi", o, w, (1, 15), 200, degraded=True),
    "plan000_mixed.pdf": lambda o, w: mixed("000", "Garuda", o, w, (1, 55)),
    "plan001_photo.png": lambda o, w: photo("001", "Laksaman", o, w, (1, 7)),
}
# the four PDFs of plan 004 from ../shared/thai-pdf-samples, recorded as they came
SAMPLES = {
    "plan004_libreoffice_docx_laksaman.pdf": ("LibreOffice 7.4 headless from a python-docx DOCX", "Laksaman"),
    "plan004_libreoffice_txt.pdf": ("LibreOffice 7.4 headless from the .txt", "LibreOffice default"),
    "plan004_chromium_print.pdf": ("Chromium --headless --print-to-pdf of an HTML page", "Laksaman"),
    "plan004_reportlab_harfbuzz.pdf": ("reportlab 5.1, glyphs shaped by uharfbuzz 0.57", "Laksaman"),
}
BAD = {  # made from another fixture: (name, source fixture, how)
    "plan003_encrypted_password.pdf": ("plan003_reportlab_harfbuzz_norasi.pdf", "user password 'secret'"),
    "plan003_encrypted_no_user_password.pdf": ("plan003_reportlab_harfbuzz_norasi.pdf", "empty user password"),
    "plan001_corrupt_page2.pdf": ("plan001_reportlab_harfbuzz_garuda.pdf", "page 2's content stream overwritten with binary garbage"),
}


def _bad(name: str, out_dir: Path, fixtures: dict[str, Fixture]) -> Fixture:
    source_name, how = BAD[name]
    source, out = out_dir / source_name, out_dir / name
    base = fixtures[source_name]
    if "corrupt" in name:
        corrupt_page(source, out, 2)
        pages = tuple(PageTruth(p.number, p.number != 2, p.lines) for p in base.pages)
        return Fixture(name, "corrupt_page", f"{base.producer}; {how}", base.font, base.seed, base.lines, pages)
    encrypted(source, out, "secret" if "password.pdf" in name and "no_user" not in name else "")
    return Fixture(name, "encrypted", f"{base.producer}; pypdf encrypt, AES-128, {how}", base.font, base.seed,
                   base.lines, base.pages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "fixtures" / "thai_pdf")
    parser.add_argument("--only", nargs="*", help="make only these files (default: all)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    manifest_path = args.out / "manifest.json"
    old = {f["file"]: f for f in json.loads(manifest_path.read_text())["fixtures"]} if manifest_path.exists() else {}
    fixtures: dict[str, Fixture] = {}
    with tempfile.TemporaryDirectory(prefix="thai-fixtures-") as tmp:
        for name, make in MAKERS.items():
            if args.only and name not in args.only and name in old:
                fixtures[name] = _from_json(old[name])
                continue
            print(f"making {name} ...", file=sys.stderr)
            fixtures[name] = make(args.out / name, Path(tmp))
        for name in BAD:
            if not args.only or name in args.only or name not in old:
                print(f"making {name} ...", file=sys.stderr)
                fixtures[name] = _bad(name, args.out, fixtures)
            else:
                fixtures[name] = _from_json(old[name])
    seed004 = seed_path("004")
    samples = [Fixture(name, "text", producer, font, seed004.name, (1, len(seed_lines("004"))),
                       note="from ../shared/thai-pdf-samples") for name, (producer, font) in SAMPLES.items()]
    entries = [_to_json(f) for f in [*samples, *fixtures.values()]]
    manifest_path.write_text(json.dumps({"fixtures": entries}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for entry in entries:
        if (args.out / entry["file"]).exists():
            print(f"{(args.out / entry['file']).stat().st_size // 1024:6d} KB  {entry['file']}", file=sys.stderr)
    return 0


def _to_json(f: Fixture) -> dict[str, object]:
    out = asdict(f)
    out["lines"] = list(f.lines)
    out["pages"] = [{"number": p.number, "text_layer": p.text_layer, "lines": list(p.lines) if p.lines else None}
                    for p in f.pages]
    return out


def _from_json(d: dict[str, object]) -> Fixture:
    pages = tuple(PageTruth(int(p["number"]), bool(p["text_layer"]), tuple(p["lines"]) if p["lines"] else None)  # type: ignore[index, call-overload, arg-type]
                  for p in d["pages"])  # type: ignore[attr-defined]
    return Fixture(str(d["file"]), str(d["kind"]), str(d["producer"]), str(d["font"]), str(d["seed"]),
                   tuple(d["lines"]), pages, str(d.get("note", "")), dict(d.get("extra", {})))  # type: ignore[arg-type, call-overload]


if __name__ == "__main__":
    sys.exit(main())
