"""python -m retrieval search|ask "question" [--k N] [--json]
   python -m retrieval overview [--theme T ...] [--office O ...] [--json]"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from planqa.cli import add_settings_args, guarded, settings_from_args, setup_logging
from retrieval.hybrid import RETRIEVERS

if TYPE_CHECKING:
    from retrieval.service import Service


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retrieval", description="Search the plans or ask a question.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("search", "ranked passages"), ("ask", "a cited answer")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("question")
        p.add_argument("--k", type=int, default=10, help="number of passages (default 10)")
        p.add_argument("--retriever", choices=RETRIEVERS, default="hybrid")
        p.add_argument("--office", action="append", help="restrict to this office (repeatable)")
        p.add_argument("--json", action="store_true", help="print JSON on stdout")
        add_settings_args(p)
    ask = sub.choices["ask"]
    ask.add_argument("--history", action="append", help="an earlier user question (repeatable, oldest first)")
    ov = sub.add_parser("overview", help="every office's stance on every theme")
    ov.add_argument("--theme", action="append",
                    help="a theme, in Thai (repeatable; default: the themes mined at ingest, their cells stored)")
    ov.add_argument("--office", action="append", help="only this office (repeatable; default: all)")
    ov.add_argument("--json", action="store_true", help="print the JSON contract on stdout")
    add_settings_args(ov)
    args = parser.parse_args(argv)
    setup_logging(args.verbose)

    def _main() -> int:
        from retrieval.service import get_service

        settings = settings_from_args(args)
        svc = get_service(settings)
        if svc.index.lexical.chunk_count() == 0:
            print("error: the index is empty; run `python -m ingest` first", file=sys.stderr)
            return 2
        if args.command == "overview":
            return _overview(svc, args)
        if args.command == "search":
            hits = svc.search(args.question, k=args.k, offices=args.office, retriever=args.retriever)
            if args.json:
                print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=1))
            for n, h in enumerate(hits, 1):
                if not args.json:
                    c = h.chunk
                    first = c.text.strip().split("\n")[0][:80]
                    print(f"{n:2}. {h.score:.4f} {c.source}:{c.start_line}-{c.end_line} [{c.office} | {c.section}] {first}")
            return 0
        answer = svc.answer(args.question, history=args.history, offices=args.office, retriever=args.retriever, k=args.k)
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1))
            return 0
        print(answer.text)
        for cit in answer.citations:
            where = f"lines {cit.start_line}-{cit.end_line}"
            if cit.page is not None:
                where = (f"page {cit.page}, lines {cit.page_start_line}-{cit.page_end_line}" if cit.end_page == cit.page
                         else f"page {cit.page} line {cit.page_start_line} - page {cit.end_page} line {cit.page_end_line}")
            print(f"[{cit.n}] {cit.source}, {cit.section}, {where}")
        return 0

    return guarded(_main)


def _overview(svc: Service, args: argparse.Namespace) -> int:
    from retrieval import overview, overview_cells

    matrix = overview_cells.overview(svc, args.theme or [], args.office or [], defaults=not args.theme)
    if args.json:
        print(json.dumps(matrix.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(overview.table(matrix))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
