"""Frame and topic: the part of a question that asks (which offices, what fact) and the part it asks about.

"แผนของเขตไหนบ้างที่เอาแนวคิดเศรษฐกิจพอเพียงมาใช้", "ใครมีแผนเรื่องเศรษฐกิจพอเพียงบ้าง" and "Which
offices build on the sufficiency economy?" ask one thing in three frames. Nothing here lists the
phrases of a frame: the model is learned from the question sets (``python -m evals framing``, on the
training sets only) and shipped as ``retrieval/framing.json``:

* ``asks_which``: does the question ask which offices (a logistic model over its words and word
  pairs, an office mention read as one word ``@office``)?
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.normalize import normalize_query
from ingest.offices import find_office_spans
from ingest.tokens import word_tokenize
from planqa.errors import check_model_version, load_fitted, save_fitted

FRAMING_VERSION = 1
DEFAULT_FRAMING = Path(__file__).resolve().parent / "framing.json"
OFFICE = "@office"  # an office mention, whatever its wording
_KEEP = re.compile(r"[^0-9a-z\u0e01-\u0e4e]+")


def words(question: str) -> list[str]:
    """The question's words as the frame model reads them: stop-words kept (they carry the frame),
    an office mention as one ``@office``."""
    norm = normalize_query(question).lower()
    out: list[str] = []
    pos = 0
    for _, text in find_office_spans(norm):
        at = norm.find(text, pos)
        if at < 0:
            continue
        out += word_tokenize(norm[pos:at]) + [OFFICE]
        pos = at + len(text)
    out += word_tokenize(norm[pos:])
    cleaned = (w if w == OFFICE else _KEEP.sub("", w) for w in out)
    return [w for w in cleaned if w]


def cues(question: str) -> list[str]:
    """The which-model's inputs: each word, and each pair of adjacent words."""
    ws = words(question)
    return list(dict.fromkeys([f"w:{w}" for w in ws] + [f"b:{a}_{b}" for a, b in zip(ws, ws[1:])]))


@dataclass(frozen=True, slots=True)
class FrameModel:
    which_weights: dict[str, float]
    which_intercept: float
    meta: dict[str, Any] = field(default_factory=dict)  # what it was fitted on, and its held-out figures

    def which_probability(self, question: str) -> float:
        z = self.which_intercept + sum(self.which_weights.get(c, 0.0) for c in cues(question))
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))

    def to_dict(self) -> dict[str, Any]:
        return {"version": FRAMING_VERSION, "which": {"intercept": self.which_intercept,
                                                      "weights": self.which_weights}, "meta": self.meta}

    def save(self, path: Path) -> None:
        save_fitted(path, self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FrameModel:
        check_model_version(data, FRAMING_VERSION, "frame model", "python -m evals framing")
        which = data["which"]
        return cls({str(k): float(v) for k, v in which["weights"].items()}, float(which["intercept"]),
                   dict(data.get("meta", {})))


@lru_cache(maxsize=4)
def load_framing(path: Path = DEFAULT_FRAMING) -> FrameModel:
    """The frame model at ``path`` (default: the one shipped beside this module).

    Raises:
        ConfigError: a missing or malformed file, with what to do.
    """
    return load_fitted(path, FrameModel.from_dict, "frame model", "python -m evals framing")


def asks_which(question: str) -> bool:
    """The question asks which offices (``"ใครมีแผนเรื่องการออมบ้าง"``: "who" is an office here).

    >>> asks_which("เขตไหนบ้างที่เน้นเรื่องเศรษฐกิจพอเพียง"), asks_which("วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร")
    (True, False)
    """
    return load_framing().which_probability(question) >= 0.5
