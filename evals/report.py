"""Write report.json, report.md and chart.png; compare two reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CHART_KEYS = ("hit@1", "hit@5", "mrr@10", "citation_precision", "office_exact", "abstention_recall")
TABLE_KEYS = ("n", "hit@1", "hit@5", "mrr@10", "ndcg@10", "recall@10", "citation_precision", "citation_recall",
              "office_exact", "abstention_precision", "abstention_recall", "citations_valid", "latency_p95_ms")


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


def _badness(q: dict[str, Any]) -> tuple[float, float]:
    s = q["scores"]
    wrong_abstain = 1 - s.get("abstain_correct", 1)
    return (-(wrong_abstain + (1 - (s.get("mrr@10") if s.get("mrr@10") is not None else 1))
              + (1 - (s.get("citation_precision") if s.get("citation_precision") is not None else 1))),
            -q["latency_ms"])


def markdown(report: dict[str, Any]) -> str:
    cfg = report["config"]
    lines = [
        f"# Evaluation report — retriever {cfg['retriever']}, k={cfg['k']}, {cfg['questions']} questions",
        f"Embedding: `{cfg['embedding']}`", "", summary_table(report["summary"]), "",
        "## Questions, worst first", "",
        "| id | kind | question | expected | first relevant rank | abstained (should) | cited |",
        "|---|---|---|---|---|---|---|",
    ]
    for q in sorted(report["questions"], key=_badness):
        expected = "; ".join(f"{g['doc'][:3]}: {g['text'][:30]}" for g in q["gold"]) or "(abstain)"
        cited = "; ".join(f"{c['source'][:3]}:{c['start_line']}-{c['end_line']}" for c in q["answer"]["citations"])
        lines.append(
            f"| {q['id']} | {q['kind']} | {q['question'][:60].replace('|', '/')} | {expected.replace('|', '/')} | "
            f"{fmt(q['scores'].get('first_rank'))} | {q['answer']['abstained']} ({q['should_abstain']}) | {cited} |"
        )
    return "\n".join(lines) + "\n"


def chart(report: dict[str, Any], path: Path, old: dict[str, Any] | None = None) -> None:
    """Grouped bars of the main metrics per kind (old vs new with ``old``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = ["overall", *sorted(report["summary"]["by_kind"])]

    def values(rep: dict[str, Any], key: str) -> list[float]:
        s = rep["summary"]
        return [((s["overall"] if kd == "overall" else s["by_kind"].get(kd, {})).get(key) or 0.0) for kd in kinds]

    fig, axes = plt.subplots(1, len(CHART_KEYS), figsize=(4 * len(CHART_KEYS), 4), sharey=True)
    for ax, key in zip(axes, CHART_KEYS):
        xs = range(len(kinds))
        if old is not None:
            ax.bar([x - 0.2 for x in xs], values(old, key), width=0.4, label="old", color="#bbbbbb")
            ax.bar([x + 0.2 for x in xs], values(report, key), width=0.4, label="new", color="#2b6cb0")
            ax.legend(fontsize=7)
        else:
            ax.bar(list(xs), values(report, key), color="#2b6cb0")
        ax.set_title(key)
        ax.set_xticks(list(xs), kinds, rotation=45, ha="right", fontsize=8)
        ax.set_ylim(0, 1.05)
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


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What got better and worse, question by question."""
    before = {q["id"]: q for q in old["questions"]}
    lines = []
    for q in new["questions"]:
        o = before.get(q["id"])
        if o is None:
            lines.append(f"new      {q['id']}")
            continue
        for key, label in (("mrr@10", "mrr"), ("abstain_correct", "abstention"), ("citation_precision", "cite prec")):
            a, b = o["scores"].get(key), q["scores"].get(key)
            if a is not None and b is not None and abs(a - b) > 1e-9:
                word = "better" if b > a else "worse "
                lines.append(f"{word}   {q['id']}: {label} {a:.2f} -> {b:.2f}  ({q['question'][:50]})")
    ov_old, ov_new = old["summary"]["overall"], new["summary"]["overall"]
    for key in ("hit@1", "hit@5", "mrr@10", "citation_precision", "abstention_recall", "abstention_precision"):
        a, b = ov_old.get(key), ov_new.get(key)
        if a is not None and b is not None:
            lines.append(f"overall {key}: {a:.3f} -> {b:.3f}")
    return lines
