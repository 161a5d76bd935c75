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
# the five seed plans every shipped question set is written against (a fixed copy: corpus/ is the
# user's and changes with uploads); tests, calibration and the bench's synthetic corpus read these
SEED_PLANS = Path(__file__).resolve().parent / "seeds"


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
    topic: str = ""  # frame-invariance sets: the same topic asked in several frames shares this id

    @property
    def should_abstain(self) -> bool:
        return not self.gold


def matches(source: str, text: str, gold: Gold) -> bool:
    """The documented matching rule (file name, then normalised substring)."""
    if PurePath(source).name != PurePath(gold.doc).name:
        return False
    return not gold.text or fold_spaces(gold.text) in fold_spaces(text)


def _case(row: object) -> Case:
    """One case from a parsed line; ValueError says what is wrong with it."""
    if not isinstance(row, dict):
        raise ValueError("a line must be a JSON object")
    missing = [key for key in ("id", "question", "kind", "gold") if key not in row]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    gold, history = row["gold"], row.get("history") or []
    if not isinstance(gold, list) or not all(isinstance(g, dict) and g.get("doc") for g in gold):
        raise ValueError('gold must be a list of {"doc": "<file name>", "text": "<optional substring>"}')
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise ValueError("history must be a list of earlier user questions")
    if not str(row["question"]).strip():
        raise ValueError("the question is empty")
    case = Case(
        id=str(row["id"]),
        question=str(row["question"]),
        kind=str(row["kind"]),
        gold=tuple(Gold(str(g["doc"]), str(g.get("text") or "")) for g in gold),
        history=tuple(history),
        topic=str(row.get("topic") or ""),
    )
    if case.kind not in KINDS:
        raise ValueError(f"kind {case.kind!r} is not one of {', '.join(KINDS)}")
    if case.kind == "abstain" and case.gold:
        raise ValueError("an abstain case must have an empty gold list")
    return case


def load_cases(path: Path) -> list[Case]:
    """Cases from a JSONL file; errors name the file and line.

    Raises:
        PlanQAError: an unreadable file, or a line that is not a valid case.
    """
    cases: list[Case] = []
    seen: set[str] = set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanQAError(f"cannot read question set {path}: {getattr(exc, 'strerror', None) or exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            case = _case(json.loads(line))
        except json.JSONDecodeError as exc:
            raise PlanQAError(f"{path}:{n}: not a valid case (not JSON: {exc.msg})") from exc
        except ValueError as exc:
            raise PlanQAError(f"{path}:{n}: not a valid case ({exc})") from exc
        if case.id in seen:
            raise PlanQAError(f"{path}:{n}: duplicate id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
    return cases
