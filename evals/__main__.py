"""python -m evals run | external | scenario | bench | calibrate | framing | stance | holds | startup | overview

Each subcommand is one entry in ``COMMANDS``: (help, add its options, run it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from planqa.cli import add_settings_args, guarded, settings_from_args, setup_logging
from planqa.errors import PlanQAError
from planqa.types import Progress
from retrieval.hybrid import RETRIEVERS


class Command(NamedTuple):
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Any], int]


def _bar(label: str) -> Progress:
    """A tqdm bar on stderr, driven by (done, total, what) progress calls."""
    from tqdm import tqdm

    bar = tqdm(total=0, unit="q", desc=label, file=sys.stderr, disable=None)

    def step(done: int, total: int, what: str = "") -> None:
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return step


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--questions",
        action="append",
        type=Path,
        metavar="PATH",
        help="JSONL question set (repeatable; default: evals/questions/seeds.jsonl)",
    )
    p.add_argument("--k", type=int, default=10, help="hits per question (default 10)")
    p.add_argument("--retriever", choices=RETRIEVERS, default="hybrid")
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder (default evals/out/<timestamp>, with evals/out/latest pointing at it)",
    )
    p.add_argument("--compare", type=Path, metavar="OLD.json", help="an older report.json to compare with")


def cmd_run(args: Any) -> int:
    import evals
    from evals.report import summary_table

    if args.k < 1:
        raise PlanQAError(f"--k must be at least 1, not {args.k}")
    result = evals.run(
        settings_from_args(args),
        args.questions or (),
        args.out,
        k=args.k,
        retriever=args.retriever,
        compare=args.compare,
        progress=_bar("questions"),
    )
    print(summary_table(result.report["summary"]))
    if args.compare:
        print(f"\ncompared with {args.compare}:")
        print("\n".join(result.changes))
    print(f"\nwrote {result.json_path}, {result.md_path}, {result.chart_path}")
    return 0


def _external_args(p: argparse.ArgumentParser) -> None:
    from evals.external import SETS

    p.add_argument("--set", required=True, choices=SETS)
    p.add_argument("--retriever", choices=RETRIEVERS, default="hybrid")
    p.add_argument(
        "--data-dir",
        type=Path,
        help="folder with the sets (PLANQA_EXTERNAL_EVALS_DIR; "
        "default ../shared/external-evals from the repository root)",
    )
    p.add_argument("--limit", type=int, help="only the first N questions (every passage is still indexed)")
    p.add_argument(
        "--index-dir",
        help="keep the set's corpus and index in this folder and reuse them next time "
        "(ingest is incremental); default: a temporary folder (not PLANQA_INDEX_DIR)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")


def cmd_external(args: Any) -> int:
    from evals.external import run_external, table

    if args.limit is not None and args.limit < 1:
        raise PlanQAError(f"--limit must be at least 1, not {args.limit}")
    data_dir = args.data_dir or (
        Path(os.environ["PLANQA_EXTERNAL_EVALS_DIR"]) if os.environ.get("PLANQA_EXTERNAL_EVALS_DIR") else None
    )
    # only an explicit --index-dir is used (PLANQA_INDEX_DIR names the plans' index, never this one)
    result = run_external(
        args.set,
        settings_from_args(args),
        retriever=args.retriever,
        directory=data_dir,
        index_dir=Path(args.index_dir) if args.index_dir else None,
        limit=args.limit,
        progress=_bar(args.set),
    )
    print(json.dumps(result, ensure_ascii=False) if args.json else table(result))
    return 0


def _scenario_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work-dir", type=Path, help="keep the edited corpus copy and its index here")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")


def cmd_scenario(args: Any) -> int:
    from evals.scenario import run_scenario

    result = run_scenario(settings_from_args(args), args.work_dir)
    ok = result["old_quoted_before"] and result["new_quoted_after"] and result["old_gone_after"]
    if args.json:
        print(json.dumps({**result, "ok": ok}, ensure_ascii=False))
    else:
        print(
            f"Q: {result['question']}\n--- before ---\n{result['before']}\n"
            f"--- after replacing the vision and re-ingesting ---\n{result['after']}\n---"
        )
        print(
            f"old quoted before: {result['old_quoted_before']}; new quoted after: {result['new_quoted_after']}; "
            f"old gone after: {result['old_gone_after']} -> {'OK' if ok else 'FAILED'}"
        )
    return 0 if ok else 1


def _bench_args(p: argparse.ArgumentParser) -> None:
    from evals.bench.bench import add_arguments

    add_arguments(p)


def cmd_bench(args: Any) -> int:
    from evals.bench.bench import run

    return run(args)


def _calibrate_args(p: argparse.ArgumentParser) -> None:
    from evals.calibrate import TRAINING_SETS

    p.add_argument("--questions", nargs="+", default=list(TRAINING_SETS), metavar="SET",
                   help="training sets: names in evals/questions/ or .jsonl paths "
                        f"(default: {' '.join(TRAINING_SETS)}; never the independent set)")
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    p.add_argument("--seed", type=int, default=13, help="seed of the fold assignment")
    p.add_argument("--out", type=Path, help="where to write the policy (default: retrieval/policy.json)")
    p.add_argument("--report", type=Path, metavar="DIR", help="also write calibration.json and calibration.md here")
    p.add_argument("--dry-run", action="store_true", help="measure only; write no policy")
    p.add_argument("--no-soft", action="store_true", help="ablation: exact word matching only")
    p.add_argument("--no-expansion", action="store_true", help="ablation: no BM25 query expansion")


def cmd_calibrate(args: Any) -> int:
    from evals.calibrate import calibrate, table, write
    from retrieval.policy import DEFAULT_POLICY

    if args.folds < 2:
        raise PlanQAError(f"--folds must be at least 2, not {args.folds}")
    if "independent" in args.questions:
        raise PlanQAError("the independent set is for the final figures only; it never trains the policy")
    settings = settings_from_args(args).model_copy(
        update={"soft_match": not args.no_soft, "expansion": not args.no_expansion})
    result = calibrate(settings, args.questions, folds=args.folds, seed=args.seed, progress=_bar("gathering"))
    print(table(result))
    if not args.dry_run:
        write(result, args.out or DEFAULT_POLICY, args.report)
        print(f"\nwrote {args.out or DEFAULT_POLICY}" + (f" and {args.report}/calibration.*" if args.report else ""))
    elif args.report:
        write(result, None, args.report)
    return 0


def _stance_args(p: argparse.ArgumentParser) -> None:
    from evals.calibrate import TRAINING_SETS

    p.add_argument("--questions", nargs="+", default=list(TRAINING_SETS), metavar="SET",
                   help=f"training sets in evals/questions/ (default: {' '.join(TRAINING_SETS)})")
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    p.add_argument("--seed", type=int, default=13, help="seed of the fold assignment")
    p.add_argument("--out", type=Path, help="where to write the stance model (default: retrieval/stance.json)")
    p.add_argument("--dry-run", action="store_true", help="measure only; write no model")


def cmd_stance(args: Any) -> int:
    from evals.stance import fit_stance, table
    from retrieval.stance_model import DEFAULT_STANCE

    if args.folds < 2:
        raise PlanQAError(f"--folds must be at least 2, not {args.folds}")
    if {"independent", "frames"} & set(args.questions):
        raise PlanQAError("the independent and frames sets measure the stance model; they never train it")
    result = fit_stance(settings_from_args(args), args.questions, folds=args.folds, seed=args.seed,
                        progress=_bar("gathering"))
    print(table(result))
    if not args.dry_run:
        result.model.save(args.out or DEFAULT_STANCE)
        print(f"\nwrote {args.out or DEFAULT_STANCE}")
    return 0


def _holds_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds, questions grouped by topic (default 5)")
    p.add_argument("--seed", type=int, default=13, help="seed of the fold assignment")
    p.add_argument("--out", type=Path, help="where to write the holds model (default: retrieval/holds.json)")
    p.add_argument("--stance", type=Path, metavar="PATH",
                   help="judge the which-answers with this stance model (a candidate written by "
                        "`python -m evals stance --out PATH`) instead of the shipped one")
    p.add_argument("--dry-run", action="store_true", help="measure only; write no model")


def cmd_holds(args: Any) -> int:
    from evals.holds import HOLDS_SETS, fit_holds, gather, table
    from retrieval.holds import DEFAULT_HOLDS
    from retrieval.stance_model import load_stance

    if args.folds < 2:
        raise PlanQAError(f"--folds must be at least 2, not {args.folds}")
    if args.stance is not None and not (args.dry_run or args.out):
        raise PlanQAError("--stance judges a candidate stance model: add --dry-run to measure it, or --out PATH "
                          "to keep the holds model fitted on it (the shipped one goes with the shipped stance)")
    stance = load_stance(args.stance) if args.stance is not None else None
    cases = gather(settings_from_args(args), HOLDS_SETS, args.folds, args.seed, progress=_bar("gathering"),
                   stance=stance)
    result = fit_holds(cases, args.folds, seed=args.seed)
    print(table(result))
    if not args.dry_run:
        result.model.save(args.out or DEFAULT_HOLDS)
        print(f"\nwrote {args.out or DEFAULT_HOLDS}")
    return 0


def _headroom_args(p: argparse.ArgumentParser) -> None:
    from evals.calibrate import TRAINING_SETS

    default = [*TRAINING_SETS, "trainframes"]
    p.add_argument("--questions", nargs="+", default=default, metavar="SET",
                   help=f"question sets in evals/questions/; nothing is fitted, so the held-out ones may be named "
                        f"(default: {' '.join(default)})")
    p.add_argument("--stance", type=Path, metavar="PATH",
                   help="judge with this stance model (`python -m evals stance --out PATH`) instead of the shipped one")


def cmd_headroom(args: Any) -> int:
    from evals.headroom import run, table
    from retrieval.stance_model import load_stance

    stance = load_stance(args.stance) if args.stance is not None else None
    print(table(run(settings_from_args(args), args.questions, stance, progress=_bar("gathering"))))
    return 0


def _framing_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, help="where to write the frame model (default: retrieval/framing.json)")
    p.add_argument("--dry-run", action="store_true", help="measure only; write no model")


def cmd_framing(args: Any) -> int:
    from evals.framing import fit_framing, table
    from retrieval.framing import DEFAULT_FRAMING

    result = fit_framing()
    print(table(result))
    if not args.dry_run:
        result.model.save(args.out or DEFAULT_FRAMING)
        print(f"\nwrote {args.out or DEFAULT_FRAMING}")
    return 0


def _startup_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs", type=int, default=3, help="fresh processes per figure; medians are reported (default 3)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout instead of the table")
    p.add_argument("--work-dir", type=Path, help="corpus copy and indexes go here (kept; default: a temporary folder)")


def cmd_startup(args: Any) -> int:
    from evals.startup import run

    return run(args.runs, args.json, args.work_dir)


def _overview_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="one JSON object on stdout instead of the table")


def cmd_overview(args: Any) -> int:
    from evals import overview as gold_matrix
    from retrieval import overview
    from retrieval.service import get_service
    from retrieval.stance import supports as stance_supports

    svc = get_service(settings_from_args(args))
    supports = partial(stance_supports, svc)
    result = gold_matrix.run(lambda offices, themes: overview.build(supports, offices, themes).to_dict(),
                             [o.name for o in svc.offices()])
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        for name, value in result.to_dict().items():
            print(f"{name:10} {value:.3f}" if isinstance(value, float) else f"{name:10} {value}")
    return 0


COMMANDS: dict[str, Command] = {
    "calibrate": Command("fit the answer policy by cross-validation; print out-of-fold figures", _calibrate_args,
                         cmd_calibrate),
    "framing": Command("fit the frame model (which offices? which words are the topic?) on the training sets",
                       _framing_args, cmd_framing),
    "stance": Command("fit the stance model (does an office's own plan support a topic?) on the training sets",
                      _stance_args, cmd_stance),
    "holds": Command("fit the holds model (does any plan hold a which-question's topic?) on a set its models never saw",
                     _holds_args, cmd_holds),
    "headroom": Command("which missed gold offices had their evidence found and misjudged, which never found",
                        _headroom_args, cmd_headroom),
    "run": Command("run question sets and write report.json, report.md and chart.png", _run_args, cmd_run),
    "external": Command("passage retrieval on XQuAD-th / iApp Wiki QA", _external_args, cmd_external),
    "scenario": Command("edit a plan, re-ingest, and check that the answer follows", _scenario_args, cmd_scenario),
    "bench": Command("scale and speed benchmark (python -m evals bench --help)", _bench_args, cmd_bench),
    "overview": Command("the theme x office overview against the gold matrix (evals/gold/themes.json)",
                        _overview_args, cmd_overview),
    "startup": Command("seconds to a first answer: the app, the CLI, and the app on an empty index", _startup_args,
                       cmd_startup),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evals", description="Evaluate retrieval and answers.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, command in COMMANDS.items():
        # a command may redefine a settings option ("resolve"): external's --index-dir is its own
        p = sub.add_parser(name, help=command.help, description=command.help, conflict_handler="resolve")
        if name not in ("bench", "startup", "framing"):
            add_settings_args(p)
        command.add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(getattr(args, "verbose", False))
    return guarded(lambda: COMMANDS[args.command].run(args))


if __name__ == "__main__":
    raise SystemExit(main())
