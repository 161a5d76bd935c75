"""Write report.json, report.md and chart.png; compare two reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CHART_KEYS = ("hit@1", "hit@5", "mrr@10", "citation_precision", "office_exact", "abstention_recall")
TABLE_KEYS = (
    "n",
    "hit@1",
    "hit@5",
    "mrr@10",
    "ndcg@10",
    "recall@10",
    "citation_precision",
    "citation_recall",
    "office_exact",
    "office_all",
    "office_precision",
    "answerable_abstained",
    "abstention_precision",
    "abstention_recall",
    "abstention_accuracy",
    "citations_valid",
    "latency_p95_ms",
)


def fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.0f}" if value > 10 else f"{value:.3f}"
    return str(value)


def summary_table(summary: dict[str, Any], keys: tuple[str, ...] = TABLE_KEYS) -> str:
    """A markdown table: one row overall, one per kind."""
    head = "| set | " + " | ".join(keys) + " |\n|" + "---|" * (len(keys) + 1) + "\n"
    rows = [("all", summary["overall"])] + sorted(summary["by_kind"].items())
    return head + "\n".join(f"| {name} | " + " | ".join(fmt(b.get(k)) for k in keys) + " |" for name, b in rows)


def badness(q: dict[str, Any]) -> tuple[float, float]:
    s = q["scores"]

    def miss(key: str) -> float:
        v = s.get(key)
        return 0.0 if v is None else 1.0 - v

    return (
        -(miss("abstain_correct") + miss("mrr@10") + miss("citation_precision") + miss("office_exact")),
        -q["latency_ms"],
    )


def _cell(text: str, n: int) -> str:
    text = " ".join(text.split()).replace("|", "/")
    return text if len(text) <= n else text[: n - 1] + "…"


def _span(d: dict[str, Any]) -> str:
    return f"{d['source']}:{d['start_line']}-{d['end_line']}"


def _invariance_line(summary: dict[str, Any]) -> list[str]:
    value = summary["overall"].get("frame_invariance")
    if value is None:
        return []
    return [f"Frame invariance (questions naming the same offices as their topic's majority): {value:.3f}", ""]


def _is_bad(q: dict[str, Any]) -> bool:
    return badness(q)[0] < 0


def markdown(report: dict[str, Any]) -> str:
    """The summary table, then every question worst first, then the details of the ones that went wrong."""
    cfg = report["config"]
    lines = [
        f"# Evaluation report — retriever {cfg.get('retriever', '?')}, k={cfg['k']}, {cfg['questions']} questions",
        f"Embedding: `{cfg.get('embedding', '?')}`",
        "",
        summary_table(report["summary"]),
        "",
        *_invariance_line(report["summary"]),
        "## Questions, worst first",
        "",
        "| id | kind | question | expected | first relevant rank | top hit | abstained (should) | answer | cited |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    ordered = sorted(report["questions"], key=badness)
    for q in ordered:
        expected = "; ".join(f"{g['doc'][:3]}: {_cell(g['text'], 30)}" for g in q["gold"]) or "(abstain)"
        cited = "; ".join(_span(c) for c in q["answer"]["citations"])
        top = _span(q["hits"][0]) if q["hits"] else "–"
        lines.append(
            f"| {q['id']} | {q['kind']} | {_cell(q['question'], 60)} | {expected} | "
            f"{fmt(q['scores'].get('first_rank'))} | {top} | {q['answer']['abstained']} ({q['should_abstain']}) | "
            f"{_cell(q['answer']['text'], 80)} | {cited} |"
        )
    bad = [q for q in ordered if _is_bad(q)]
    if bad:
        lines += ["", "## What went wrong", ""]
    for q in bad:
        lines += [f"### {q['id']} ({q['kind']}): {q['question']}", ""]
        if q["history"]:
            lines.append(f"- earlier: {' / '.join(q['history'])}")
        if q["answer"].get("rewritten_question") and q["answer"]["rewritten_question"] != q["question"]:
            lines.append(f"- asked as: {q['answer']['rewritten_question']}")
        for g in q["gold"] or [{"doc": "(none: should abstain)", "text": ""}]:
            lines.append(f"- expected: `{g['doc']}` {_cell(g['text'], 120)}")
        for rank, h in enumerate(q["hits"][:3], 1):
            lines.append(f"- hit {rank}: `{_span(h)}` {_cell(h['text'], 120)}")
        lines += ["- answer:", "", "  > " + _cell(q["answer"]["text"], 400), ""]
    return "\n".join(lines) + "\n"


def chart(report: dict[str, Any], path: Path, old: dict[str, Any] | None = None) -> None:
    """Bars of the main metrics per kind (old vs new with ``old``); no bar where a metric does not apply."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = [
        "overall",
        *sorted(set(report["summary"]["by_kind"]) | set((old or {}).get("summary", {}).get("by_kind", {}))),
    ]

    def values(rep: dict[str, Any], key: str) -> list[float]:
        s = rep["summary"]
        blocks = [s["overall"] if kd == "overall" else s["by_kind"].get(kd, {}) for kd in kinds]
        return [float("nan") if b.get(key) is None else float(b[key]) for b in blocks]

    cols = 3
    rows = -(-len(CHART_KEYS) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.5 * cols, 3.6 * rows), sharey=True, squeeze=False)
    xs = list(range(len(kinds)))
    for ax, key in zip(axes.flat, CHART_KEYS):
        if old is not None:
            ax.bar([x - 0.2 for x in xs], values(old, key), width=0.4, label="old", color="#bbbbbb")
            ax.bar([x + 0.2 for x in xs], values(report, key), width=0.4, label="new", color="#2b6cb0")
        else:
            ax.bar(xs, values(report, key), color="#2b6cb0")
        ax.set_title(key)
        ax.set_xticks(xs, kinds, rotation=30, ha="right", fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(CHART_KEYS) :]:
        ax.set_visible(False)
    if old is not None:
        fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="upper right", fontsize=8)
    cfg = report.get("config", {})
    fig.suptitle(f"retriever {cfg.get('retriever', '?')}, k={cfg.get('k', '?')}, {cfg.get('questions', '?')} questions")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write(report: dict[str, Any], out_dir: Path, old: dict[str, Any] | None = None) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "report.json", "md": out_dir / "report.md", "chart": out_dir / "chart.png"}
    paths["json"].write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    paths["md"].write_text(markdown(report), encoding="utf-8")
    chart(report, paths["chart"], old)
    return paths


def _rank_word(r: int | None) -> str:
    return "none in top k" if r is None else str(r)


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What got better and worse, question by question, then the overall figures."""
    before = {q["id"]: q for q in old["questions"]}
    lines = []
    for q in new["questions"]:
        o = before.pop(q["id"], None)
        if o is None:
            lines.append(f"new      {q['id']}")
            continue
        a, b = o["scores"], q["scores"]
        changes: list[tuple[bool, str]] = []
        if q["gold"] and a.get("first_rank") != b.get("first_rank"):
            ra, rb = a.get("first_rank"), b.get("first_rank")
            better = rb is not None and (ra is None or rb < ra)
            changes.append((better, f"first relevant rank {_rank_word(ra)} -> {_rank_word(rb)}"))
        if a.get("abstain_correct") != b.get("abstain_correct"):
            word = {1.0: "right", 0.0: "wrong"}
            changes.append(
                (
                    b["abstain_correct"] > a["abstain_correct"],
                    f"abstention {word[a['abstain_correct']]} -> {word[b['abstain_correct']]}",
                )
            )
        pa, pb = a.get("citation_precision"), b.get("citation_precision")
        if pa is not None and pb is not None and abs(pa - pb) > 1e-9:
            changes.append((pb > pa, f"citation precision {pa:.2f} -> {pb:.2f}"))
        for better, what in changes:
            lines.append(f"{'better' if better else 'worse ':<8} {q['id']}: {what}  ({_cell(q['question'], 50)})")
    lines += [f"gone     {qid}" for qid in before]
    if not lines:
        lines.append("no question changed")
    ov_old, ov_new = old["summary"]["overall"], new["summary"]["overall"]
    for key in (k for k in TABLE_KEYS if k not in ("n", "ndcg@10", "recall@10", "citation_recall",
                                                     "abstention_accuracy", "citations_valid", "latency_p95_ms")):
        x, y = ov_old.get(key), ov_new.get(key)
        if x is not None and y is not None:
            lines.append(f"overall {key}: {x:.3f} -> {y:.3f}")
    return lines
