"""Default overview themes, mined from the plans' own words.

A theme is a noun phrase (one to three nouns, as pythainlp's ORCHID tagger
reads them) that recurs across plans: it must appear in at least two plans,
and not in nearly all of them (a phrase every plan holds, like "การศึกษา",
would be a column that says nothing). Structural words (section headings)
and the words of office names are not themes. A phrase inside a longer
phrase that recurs as widely is dropped for the longer one. Themes are
named as the plans write them, in Thai.

Three general checks keep generic words and fragments out, with no list of
banned words:

* *generic*: a phrase all of whose words (a nominaliser การ/ความ set aside)
  are core words of Thai, the most frequent words of the Thai National
  Corpus (as pythainlp ships its frequencies) that make up ``CORE_SHARE`` of
  its running text ("การพัฒนา", "ความสามารถ", "บุคคล"), says nothing of a topic;
* *a complete noun phrase*: a dictionary compound the reference corpus
  does not hold as one word is read as the reference corpus would split it,
  and is a noun only when its head (its first piece) is tagged a noun: "มีส่วน"
  and "ร่วมใน" are verbs ("มี", "ร่วม") glued by the dictionary, "ภาษาอังกฤษ" is a noun;
* *redundant*: a phrase whose sections all hold a theme ranked above it
  ("หลักปรัชญา" beside "เศรษฐกิจพอเพียง") adds no column of its own.

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
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from ingest.lexical import LexicalIndex
from ingest.normalize import normalize_line
from ingest.sections import SECTION_WORDS
from ingest.tokens import NOMINALISERS, _stopwords, nominal_base, tokenize

if TYPE_CHECKING:
    from pythainlp.util import Trie

THEMES_KEY = "overview_themes"  # lexical meta key: {"fingerprint": ..., "themes": [...]}
MAX_WORDS = 3  # longest phrase, in words
MIN_CHARS = 5  # shorter phrases are function words or fragments
WIDE_SHARE = 0.8  # a phrase in more than this share of plans (of three or more) is not a theme
FRAGMENT_SHARE, FRAGMENT_MIN = 0.8, 3  # followed by one word this often, of this many times at least: a fragment
CORE_SHARE = 0.8  # the reference corpus's most frequent words making up this share of its text are generic
log = logging.getLogger(__name__)
_THAI_WORD = re.compile("^[\u0e01-\u0e4e]+$")


@lru_cache(maxsize=1)
def _tagger() -> Callable[..., list[tuple[str, str]]]:
    from pythainlp.tag import pos_tag

    return pos_tag


@lru_cache(maxsize=1)
def _reference() -> tuple[frozenset[str], frozenset[str], Trie]:
    """(every word of the Thai National Corpus, its core words, a dictionary of its words to split with)."""
    from pythainlp.corpus import tnc
    from pythainlp.util import Trie

    freqs = sorted(tnc.word_freqs(), key=lambda wf: -wf[1])
    total = sum(f for _, f in freqs) or 1
    core: set[str] = set()
    seen = 0
    for word, f in freqs:
        if seen >= CORE_SHARE * total:
            break
        core.add(word)
        seen += f
    words = frozenset(w for w, _ in freqs)
    return words, frozenset(core), Trie(words)


@lru_cache(maxsize=100_000)
def _pieces(word: str) -> tuple[str, ...]:
    """The word as the reference corpus holds it: itself, or the pieces it would be split into."""
    from pythainlp.tokenize import word_tokenize

    words, _, trie = _reference()
    if word in words:
        return (word,)
    return tuple(p for p in word_tokenize(word, custom_dict=trie, engine="newmm", keep_whitespace=False) if p.strip())


@lru_cache(maxsize=100_000)
def _headed_by_noun(word: str) -> bool:
    """A compound the reference corpus splits is a noun only when its first piece is one."""
    pieces = _pieces(word)
    if len(pieces) < 2:
        return True
    return _tagger()(list(pieces), corpus="orchid_ud")[0][1] in ("NOUN", "PROPN")


def generic(phrase_words: Sequence[str]) -> bool:
    """Every word of the phrase is a core word of Thai (``CORE_SHARE``), nominalisers set aside."""
    _, core, _ = _reference()
    return all(nominal_base(w) in core for w in phrase_words)


def _nouns(words: Sequence[str]) -> list[bool]:
    tags = _tagger()(list(words), corpus="orchid_ud")
    return [w.startswith(NOMINALISERS) or (tag in ("NOUN", "PROPN") and _headed_by_noun(w)) for w, tag in tags]


def _phrases(text: str, after: dict[str, Counter[str]] | None = None) -> dict[str, tuple[str, ...]]:
    """The text's candidate phrases, each with its words; ``after`` counts the word after each
    occurrence of a phrase ("" at the end of a line)."""
    out: dict[str, tuple[str, ...]] = {}
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
                    phrase = "".join(words[i:i + n])
                    out[phrase] = tuple(words[i:i + n])
                    if after is not None:
                        after.setdefault(phrase, Counter())[words[i + n] if i + n < len(words) else ""] += 1
    return out


def incomplete(after: Counter[str]) -> bool:
    """A phrase nearly always followed by the same word is the head of a longer expression that
    needs it (Thai modifiers follow their head): "ศตวรรษ" of "ศตวรรษที่ 21", "หลักปรัชญา" of
    "หลักปรัชญาของเศรษฐกิจพอเพียง"."""
    n = sum(after.values())
    word, count = max(after.items(), key=lambda wc: wc[1], default=("", 0))
    return n >= FRAGMENT_MIN and bool(word) and count >= FRAGMENT_SHARE * n


def mine(plans: Mapping[str, str | Sequence[str]], exclude: Iterable[str] = (), limit: int = 30) -> list[str]:
    """The recurring themes of ``plans`` (source -> text, or its sections' texts), most widespread first.

    Args:
        plans: each plan's text (its lines taken as its sections), or its sections' (chunks') texts, by source.
        exclude: words that name no theme here (office names, for example).
        limit: how many themes at most.
    """
    df: Counter[str] = Counter()
    where: dict[str, set[tuple[str, int]]] = {}  # phrase -> the (plan, section) pairs holding it
    words_of: dict[str, tuple[str, ...]] = {}
    after: dict[str, Counter[str]] = {}
    for source, text in plans.items():
        sections = _sections(text)
        in_plan: set[str] = set()
        for n, section in enumerate(sections):
            found = _phrases(section, after)
            words_of.update(found)
            in_plan.update(found)
            for p in found:
                where.setdefault(p, set()).add((source, n))
        df.update(in_plan)
    n_plans = len(plans)
    names = [re.sub(r"\s+", "", normalize_line(name)) for name in exclude]
    blocked = set(SECTION_WORDS) | set(names) | {w for name in exclude for w in tokenize(normalize_line(name))}
    wide = n_plans >= 3
    kept = {p: d for p, d in df.items()
            if d >= 2 and len(p) >= MIN_CHARS and p not in blocked and not any(p in b for b in names)
            and not (wide and d > WIDE_SHARE * n_plans) and not generic(words_of[p]) and not incomplete(after[p])}
    # a phrase inside a longer kept phrase that recurs as widely says less than it
    kept = {p: d for p, d in kept.items()
            if not any(p != q and p in q and kept[q] >= d for q in kept)}
    ranked = sorted(kept, key=lambda p: (-kept[p], -math.log1p(len(p)), p))
    flat = {(source, n): re.sub(r"\s+", "", normalize_line(section))
            for source, text in plans.items() for n, section in enumerate(_sections(text))}
    themes: list[str] = []
    holding: dict[str, set[tuple[str, int]]] = {}  # a theme -> the sections whose text holds it
    for p in ranked:  # a phrase found only where a theme ranked above it is adds no column
        if not any(where[p] <= holding[q] for q in themes):
            themes.append(p)
            holding[p] = {key for key, text in flat.items() if p in text}
        if len(themes) == limit:
            break
    return themes


def _sections(text: str | Sequence[str]) -> list[str]:
    """A plan's sections: its chunks' texts, or the lines of its whole text."""
    return text.split("\n") if isinstance(text, str) else list(text)


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
    plans = {d.source: [c.text for c in lexical.chunks_of(d.source)] for d in documents}
    themes = mine(plans, exclude={d.office for d in documents}, limit=limit)
    lexical.set_meta(THEMES_KEY, to_meta(themes, stamp))
    log.info("mined %d overview themes from %d plans", len(themes), len(plans))
    return themes
