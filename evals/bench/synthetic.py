"""A synthetic but realistic Thai plan corpus for the scale benchmark.

Sentences of the seed plans (``corpus/*.txt``) are cut into clauses and
recombined into new plans, one per (office, plan year), with the headings,
numbered items, Thai digits and glosses that real plans have. Offices are
the real shapes: "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา เขต N", secondary
offices by province and primary offices by province and area (provinces
from pythainlp). Everything is seeded: the same size gives the same files.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ingest.normalize import normalize_line
from ingest.offices import find_office_mentions
from ingest.structure import item_number, section_kind_of_heading

CHUNKS_PER_DOC = 10.0  # about what one generated plan yields (calibrated in tests/test_bench.py)
_TO_THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
_ITEM_PREFIX = re.compile(r"^\s*(?:ข้อ\s*)?[0-9๐-๙]{1,2}\s*[.)]?\s*")


@dataclass(frozen=True, slots=True)
class Office:
    full: str  # as a plan writes it
    short: str  # as a question writes it ("สพม.มุกดาหาร", "สพป.ขอนแก่น เขต 2")
    english: str  # province in English, "" for numbered areas


@lru_cache(maxsize=1)
def _offices() -> tuple[Office, ...]:
    from pythainlp.corpus import provinces

    rows = sorted((p["name_th"], p["name_en"]) for p in provinces(details=True))  # type: ignore[index]
    out = [Office(f"สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา เขต {n}", f"สพม. เขต {n}", "") for n in range(1, 43)]
    out += [Office(f"สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา{th}", f"สพม.{th}", en) for th, en in rows]
    out += [
        Office(f"สำนักงานเขตพื้นที่การศึกษาประถมศึกษา{th} เขต {n}", f"สพป.{th} เขต {n}", en)
        for th, en in rows
        for n in (1, 2, 3)
    ]
    random.Random(8).shuffle(out)  # every size gets every kind of office
    # then more primary areas per province (4-12; the real ones stop earlier): 1,000+ distinct
    # offices, for the which-office bench at 1,000 plans; the first ~350 keep their order
    more = [
        Office(f"สำนักงานเขตพื้นที่การศึกษาประถมศึกษา{th} เขต {n}", f"สพป.{th} เขต {n}", en)
        for th, en in rows
        for n in range(4, 13)
    ]
    random.Random(9).shuffle(more)
    return tuple(out + more)


def offices() -> list[Office]:
    """About 1,000 distinct offices: secondary areas 1-42, secondary by province, primary by
    province and area (1-3 first, then 4-12)."""
    return list(_offices())


@lru_cache(maxsize=4)
def clauses(corpus_dir: Path) -> tuple[str, ...]:
    """Clauses of the seed plans' sentences (no headings, numbers or office names)."""
    found: list[str] = []
    for path in sorted(corpus_dir.glob("*.txt")):
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = normalize_line(raw).strip('“”"')
            if len(line) < 20 or section_kind_of_heading(line) or find_office_mentions(line):
                continue
            body = _ITEM_PREFIX.sub("", line) if item_number(line) else line
            # real plans separate clauses with spaces: each clause can start a new sentence
            for part in re.split(r"\s+(?=[\u0e01-\u0e4e])", body):
                if len(part) >= 12 and not re.search(r"[A-Za-z]{4,}", part):
                    found.append(part)
    if not found:
        raise ValueError(f"no plan sentences found in {corpus_dir}/*.txt to build a synthetic corpus from")
    return tuple(dict.fromkeys(found))


class PlanWriter:
    """Writes synthetic plans; ``write(dest, n_docs)`` gives ``n_docs`` files."""

    def __init__(self, corpus_dir: Path, seed: int = 8) -> None:
        self.clauses = clauses(corpus_dir)
        self.offices = offices()
        self.seed = seed

    def sentence(self, rng: random.Random, parts: int = 2) -> str:
        return " ".join(rng.choice(self.clauses) for _ in range(rng.randint(1, parts)))

    def short_clause(self, rng: random.Random) -> str:
        return min((rng.choice(self.clauses) for _ in range(3)), key=len)

    def plan(self, n: int, extra_focus: Sequence[str] = ()) -> str:
        """Plan number ``n``: its office is ``offices[n % len]``, its year from ``n``;
        ``extra_focus``: sentences added as the last items of its focus points."""
        rng = random.Random(self.seed * 1_000_003 + n)
        office = self.offices[n % len(self.offices)]
        thai = rng.random() < 0.3  # a third of the plans number in Thai digits
        year = 2561 + (n // len(self.offices)) % 10
        revision = n // (len(self.offices) * 10)
        name = office.full.translate(_TO_THAI) if thai else office.full
        lines = [
            f"แผนปฏิบัติราชการประจำปีงบประมาณ พ.ศ. {year}" + (f" (ฉบับทบทวนครั้งที่ {revision})" if revision else ""),
            name,
            "",
            "วิสัยทัศน์ (Vision)",
            f"“{self.sentence(rng, 3)}”",
            "",
        ]
        lines += self._numbered("พันธกิจ (Mission)", rng, rng.randint(4, 6), thai)
        lines += self._numbered("เป้าประสงค์ (Goals)", rng, rng.randint(4, 6), thai)
        for s in range(1, rng.randint(3, 5) + 1):
            head = f"กลยุทธ์ที่ {s}".translate(_TO_THAI) if thai else f"กลยุทธ์ที่ {s}"
            lines += self._numbered(f"{head} {self.short_clause(rng)}", rng, rng.randint(2, 4), thai)
        lines += self._numbered("จุดเน้น", rng, rng.randint(3, 5), thai, extra_focus)
        lines += self._numbered("ตัวชี้วัดความสำเร็จ", rng, rng.randint(2, 4), thai)
        lines += ["ค่านิยม (Core Values)", f"“{self.sentence(rng)}”", ""]
        return "\n".join(lines) + "\n"

    def _numbered(self, heading: str, rng: random.Random, count: int, thai: bool,
                  extra: Sequence[str] = ()) -> list[str]:
        out = [heading]
        items = [self.sentence(rng) for _ in range(count)] + list(extra)
        for i, item in enumerate(items, 1):
            num = str(i).translate(_TO_THAI) if thai else str(i)
            out.append(f"   {num}. {item}")
        return out + [""]

    def write(self, dest: Path, n_docs: int, extra_focus: dict[int, list[str]] | None = None) -> list[Path]:
        """``n_docs`` plans as plan_NNNNNN.txt; ``extra_focus``: plan number -> sentences it adds."""
        dest.mkdir(parents=True, exist_ok=True)
        paths = []
        for n in range(n_docs):
            path = dest / f"plan_{n:06d}.txt"
            path.write_text(self.plan(n, (extra_focus or {}).get(n, ())), encoding="utf-8")
            paths.append(path)
        return paths


def docs_for(chunks: int) -> int:
    """How many plans make about ``chunks`` chunks."""
    return max(1, round(chunks / CHUNKS_PER_DOC))


def questions(n_docs: int, count: int = 40, seed: int = 8) -> list[str]:
    """A fixed mix of question kinds over offices that are in the corpus."""
    present = offices()[: min(n_docs, len(offices()))]
    rng = random.Random(seed)
    templates = (
        "วิสัยทัศน์ของ {short} คืออะไร",
        "พันธกิจข้อ {thai} ของ {short}",
        "กลยุทธ์ที่ {num} ของ {short} มีอะไรบ้าง",
        "จุดเน้นของ {short} เรื่องความปลอดภัยของผู้เรียน",
        "สำนักงานใดเน้นความปลอดภัยของนักเรียน",
        "เป้าประสงค์ด้านครูและบุคลากรทางการศึกษามีอะไรบ้าง",
        "ค่านิยมของ {short}",
        "What is the vision of the {english} office?",
    )
    out = []
    for i in range(count):
        office = rng.choice(present)
        template = templates[i % len(templates)]
        if "{english}" in template and not office.english:
            template = templates[0]
        num = rng.randint(1, 3)
        out.append(
            template.format(short=office.short, english=office.english, num=num, thai=str(num).translate(_TO_THAI))
        )
    return out
