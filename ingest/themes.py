"""Default overview themes, mined from the plans' own words.

A theme is a noun phrase (one to three nouns, as pythainlp's ORCHID tagger
reads them) that recurs across plans: it must appear in at least two plans,
and not in nearly all of them (a phrase every plan holds, like "การศึกษา",
would be a column that says nothing). Structural words (section headings)
and the words of office names are not themes. A phrase inside a longer
phrase that recurs as widely is dropped for the longer one. Themes are
named as the plans write them, in Thai.

They are kept in the lexical store's meta with a fingerprint of the plans'
content, and mined again only when that fingerprint changes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from ingest.lexical import LexicalIndex
from ingest.normalize import normalize_line
from ingest.sections import SECTION_WORDS
from ingest.tokens import _stopwords, tokenize

THEMES_KEY = "overview_themes"  # lexical meta key: {"fingerprint": ..., "themes": [...]}
MAX_WORDS = 3  # longest phrase, in words
MIN_CHARS = 5  # shorter phrases are function words or fragments
WIDE_SHARE = 0.8  # a phrase in more than this share of plans (of three or more) is not a theme
log = logging.getLogger(__name__)
_THAI_WORD = re.compile("^[\u0e01-\u0e4e]+$")
_NOUN_PREFIXES = ("ความ", "การ")  # nominalisers: "ความปลอดภัย", "การประกัน…" are noun phrases


@lru_cache(maxsize=1)
def _tagger() -> object:
    from pythainlp.tag import pos_tag

    return pos_tag


def _nouns(words: Sequence[str]) -> list[bool]:
    tags = _tagger()(list(words), corpus="orchid_ud")  # type: ignore[operator]
    return [tag in ("NOUN", "PROPN") or w.startswith(_NOUN_PREFIXES) for w, tag in tags]


def _phrases(text: str) -> set[str]:
    out: set[str] = set()
    for line in text.split("\n"):
        # stopwords stay in, and break phrases: a phrase is contiguous in the plan's text
        words = [w for w in tokenize(normalize_line(line), drop_stopwords=False) if w.strip()]
        if not words:
            continue
        stop = _stopwords()
        noun = [ok and w not in stop and bool(_THAI_WORD.match(w)) for w, ok in zip(words, _nouns(words), strict=True)]
        for n in range(1, MAX_WORDS + 1):
            for i in range(len(words) - n + 1):
                if all(noun[i:i + n]):
                    out.add("".join(words[i:i + n]))
    return out


def mine(plans: Mapping[str, str], exclude: Iterable[str] = (), limit: int = 30) -> list[str]:
    """The recurring themes of ``plans`` (source -> text), most widespread first.

    Args:
        plans: each plan's text, by source.
        exclude: words that name no theme here (office names, for example).
        limit: how many themes at most.
    """
    df: Counter[str] = Counter()
    for text in plans.values():
        df.update(_phrases(text))
    n_plans = len(plans)
    blocked = set(SECTION_WORDS) | set(exclude) | {w for name in exclude for w in tokenize(normalize_line(name))}
    wide = n_plans >= 3
    kept = {p: d for p, d in df.items()
            if d >= 2 and len(p) >= MIN_CHARS and p not in blocked and not any(p in b for b in exclude)
            and not (wide and d > WIDE_SHARE * n_plans)}
    # a phrase inside a longer kept phrase that recurs as widely says less than it
    kept = {p: d for p, d in kept.items()
            if not any(p != q and p in q and kept[q] >= d for q in kept)}
    ranked = sorted(kept, key=lambda p: (-kept[p], -math.log1p(len(p)), p))
    return ranked[:limit]


def fingerprint(plans: Mapping[str, str]) -> str:
    """A digest of the plans' content: the themes are mined again when it changes."""
    h = hashlib.sha256()
    for source in sorted(plans):
        h.update(source.encode())
        h.update(hashlib.sha256(plans[source].encode()).digest())
    return h.hexdigest()


def stored(meta: str | None, plans_fingerprint: str) -> list[str] | None:
    """The themes kept in ``meta`` when they were mined from these very plans, else None."""
    if not meta:
        return None
    data = json.loads(meta)
    return list(data["themes"]) if data.get("fingerprint") == plans_fingerprint else None


def to_meta(themes: Sequence[str], plans_fingerprint: str) -> str:
    return json.dumps({"fingerprint": plans_fingerprint, "themes": list(themes)}, ensure_ascii=False)


def refresh(lexical: LexicalIndex, limit: int = 30) -> list[str]:
    """The default themes of the indexed plans, mined again only when a plan changed.

    Args:
        lexical: the index's lexical store (documents, chunks and meta).
        limit: how many themes at most.
    """
    documents = lexical.documents()
    stamp = fingerprint({d.source: d.sha256 for d in documents})
    kept = stored(lexical.get_meta(THEMES_KEY), stamp)
    if kept is not None:
        return kept
    plans = {d.source: "\n".join(c.text for c in lexical.chunks_of(d.source)) for d in documents}
    themes = mine(plans, exclude={d.office for d in documents}, limit=limit)
    lexical.set_meta(THEMES_KEY, to_meta(themes, stamp))
    log.info("mined %d overview themes from %d plans", len(themes), len(plans))
    return themes
