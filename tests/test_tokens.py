"""The shared word dictionary: the same tokens as pythainlp's own trie, built once."""

from __future__ import annotations

import threading
from pathlib import Path

from pythainlp.corpus import thai_words
from pythainlp.tokenize import word_tokenize as pythainlp_tokenize
from pythainlp.util import Trie

from ingest import tokens
from ingest.tokens import WordSet, word_tokenize

SEEDS = Path(__file__).resolve().parents[1] / "evals" / "seeds"


def test_word_set_answers_prefix_queries_like_the_trie() -> None:
    words = ["สวัสดี", "สวัส", "ดี", "ครับ", " ครู "]
    trie, ws = Trie(words), WordSet(words)
    for text, start in [("สวัสดีครับ", 0), ("สวัสดีครับ", 4), ("สวัสดีครับ", 6), ("ครูดี", 0), ("", 0), ("xสวัส", 1)]:
        assert ws.prefixes(text, start) == trie.prefixes(text, start)
    assert "ครู" in ws and "สวั" not in ws and len(ws) == 5
    assert sorted(ws) == sorted(trie)


def test_newmm_over_the_word_set_gives_pythainlp_tokens_on_the_seed_plans() -> None:
    trie = Trie(thai_words())
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert word_tokenize(text, keep_whitespace=True) == pythainlp_tokenize(
            text, custom_dict=trie, engine="newmm", keep_whitespace=True)


def test_the_dictionary_is_built_once_for_all_threads() -> None:
    tokens._words.cache_clear()
    built: list[object] = []
    threads = [threading.Thread(target=lambda: built.append(tokens.words())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(b) for b in built}) == 1 and built[0] is tokens.words()


def test_a_question_word_and_the_polite_particle_after_it_stay_two_words() -> None:
    # pythainlp's list holds "นคะ": newmm read "เขตไหนคะ" as "เขต ไห นคะ" (no "ไหน", two topic words)
    assert word_tokenize("เขตไหนคะที่เน้นภาษาอังกฤษ")[:3] == ["เขต", "ไหน", "คะ"]
    assert "นคะ" in tokens.straddling(WordSet(thai_words())) and "นคะ" not in tokens.words()
    for q in tokens.QUESTION_ENDS:
        for p in tokens.PARTICLES:
            got = word_tokenize(q + p)
            assert got[0] == q or got == [q + p], (q, p, got)
    assert word_tokenize("ผ่านคะแนน") == ["ผ่าน", "คะแนน"] and "นคร" in tokens.words()  # real words stay
