"""How often an answered fact question quotes no fact of the kind asked (issue #19, item 5).

The gather step checks the asked kind of fact (a figure, a person, a contact, a date) against the
10 best-supported units of the whole pool; this counts, per question set, the questions the policy
answered whose *quoted* units hold no such fact, split by whether the question should abstain: a
rule "the fact must be in the quote" would turn exactly these answers into abstentions.

    python scripts/fact_in_quote.py --corpus-dir DIR --index-dir DIR evals/questions/seeds.jsonl ...
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from evals.cases import load_cases
from planqa.settings import Settings
from retrieval.evidence import missing_answer_type
from retrieval.gather import Evidence
from retrieval.modes import Mode
from retrieval.service import Service


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus-dir", type=Path, required=True)
    ap.add_argument("--index-dir", type=Path, required=True)
    ap.add_argument("sets", nargs="+", type=Path)
    args = ap.parse_args()
    svc = Service(Settings(corpus_dir=args.corpus_dir, index_dir=args.index_dir))
    svc.warm_up()
    for path in args.sets:
        counts = {"asks_fact": 0, "answered": 0, "not_in_quote_should_abstain": 0, "not_in_quote_answerable": 0}
        examples = []
        for case in load_cases(path):
            ev = svc.answerer.gather(svc.ask(case.question, history=list(case.history)))
            if not isinstance(ev, Evidence) or not ev.asks_fact:
                continue
            counts["asks_fact"] += 1
            answer = svc.answerer.compose(ev, svc.policy())
            if answer.abstained:
                continue
            counts["answered"] += 1
            which = ev.mode in (Mode.WHICH, Mode.WHICH_HAVE)
            texts = [c.text for c in answer.citations]
            if missing_answer_type(ev.query.normalized, [_Text(t) for t in texts], which) is not None:
                key = "not_in_quote_should_abstain" if case.should_abstain else "not_in_quote_answerable"
                counts[key] += 1
                examples.append({"id": case.id, "question": case.question, "should_abstain": case.should_abstain})
        print(json.dumps({"set": path.name, **counts, "examples": examples}, ensure_ascii=False))


class _Text:
    """A quoted span, as ``missing_answer_type`` reads it (its text only)."""

    def __init__(self, text: str) -> None:
        self.text = text


if __name__ == "__main__":
    main()
