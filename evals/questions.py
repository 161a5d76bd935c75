"""Question sets: load and validate JSONL, and the gold matching rule.

A chunk or citation matches a gold entry when its source file name equals
``doc`` and, if ``text`` is given, its text contains ``text`` after both are
normalised (NFC, NBSP and whitespace runs folded to one space).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from ingest.normalize import fold_spaces
from planqa.errors import PlanQAError

KINDS = ("lookup", "which", "compare", "crosslingual", "followup", "abstain")
DEFAULT_SET = Path(__file__).resolve().parent / "questions" / "seeds.jsonl"


@dataclass(frozen=True, slots=True)
class Gold:
    doc: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    question: str
    kind: str
    gold: tuple[Gold, ...]
    history: tuple[str, ...] = field(default=())

    @property
    def should_abstain(self) -> bool:
        return not self.gold


def matches(source: str, text: str, gold: Gold) -> bool:
    """The documented matching rule (file name, then normalised substring)."""
    if PurePath(source).name != PurePath(gold.doc).name:
        return False
    return not gold.text or fold_spaces(gold.text) in fold_spaces(text)


def load_cases(path: Path) -> list[Case]:
    """Cases from a JSONL file; errors name the file and line.

    Raises:
        PlanQAError: a line that is not a valid case.
    """
    cases: list[Case] = []
    seen: set[str] = set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise PlanQAError(f"cannot read question set {path}: {exc.strerror or exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            row = json.loads(line)
            case = Case(
                id=str(row["id"]),
                question=str(row["question"]),
                kind=str(row["kind"]),
                gold=tuple(Gold(str(g["doc"]), str(g.get("text", "") or "")) for g in row.get("gold", [])),
                history=tuple(str(h) for h in row.get("history", []) or []),
            )
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise PlanQAError(f"{where}: not a valid case ({type(exc).__name__}: {exc}); "
                              'expected {"id", "question", "kind", "gold": [{"doc", "text"}]}') from exc
        if case.kind not in KINDS:
            raise PlanQAError(f"{where}: kind {case.kind!r} is not one of {', '.join(KINDS)}")
        if case.id in seen:
            raise PlanQAError(f"{where}: duplicate id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
    return cases
