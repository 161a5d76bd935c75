"""Which-office answers at scale: "สำนักงานใดเน้น<topic>" over 1,000 plans.

Twenty topics, each with a sentence of its own that no seed plan holds, are
added to the focus points of known plans (1 to 50 plans a topic). The truth of
each question is the set of offices whose plan holds the topic's sentence; the
answer's offices are those its citations name. Office recall and precision are
pooled over the twenty questions (micro) and averaged per question (macro);
latency is the whole answer, over several passes.

The index is built with a real embedder (the answer policy reads meaning:
a hash embedder would make its figures noise); the first build of 1,000 plans
takes ~30 minutes on 2 CPU cores and is kept in the work folder.
"""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path
from typing import Any

from evals.cases import SEED_PLANS

# (what a question asks about, the sentence holder plans add to their focus points)
TOPICS: tuple[tuple[str, str], ...] = (
    ("การป้องกันการจมน้ำ", "ส่งเสริมทักษะการว่ายน้ำเพื่อป้องกันการจมน้ำของนักเรียนทุกระดับชั้น"),
    ("ความรู้ทางการเงิน", "พัฒนาความรู้ทางการเงินของนักเรียนผ่านกิจกรรมสหกรณ์โรงเรียน"),
    ("การสอนภาษาจีน", "ส่งเสริมการจัดการเรียนการสอนภาษาจีนร่วมกับสถาบันขงจื๊อ"),
    ("หุ่นยนต์และการเขียนโปรแกรม", "จัดการแข่งขันหุ่นยนต์และการเขียนโปรแกรมควบคุมหุ่นยนต์ระดับเขตพื้นที่"),
    ("การจัดการขยะ", "จัดตั้งธนาคารขยะและคัดแยกขยะในสถานศึกษาทุกแห่ง"),
    ("อาหารกลางวัน", "ยกระดับคุณภาพอาหารกลางวันให้ถูกหลักโภชนาการตามมาตรฐานกรมอนามัย"),
    ("การแนะแนวอาชีพ", "จัดระบบแนะแนวอาชีพและการศึกษาต่อร่วมกับสถานประกอบการในจังหวัด"),
    ("การกลั่นแกล้งในโรงเรียน", "ป้องกันการกลั่นแกล้งรังแกกันในโรงเรียนและบนสื่อออนไลน์"),
    ("สุขภาพจิตของนักเรียน", "ดูแลสุขภาพจิตของนักเรียนด้วยระบบคัดกรองภาวะซึมเศร้าและการให้คำปรึกษา"),
    ("ความปลอดภัยทางถนน", "รณรงค์ความปลอดภัยทางถนนและการสวมหมวกนิรภัยของนักเรียนที่ขี่รถจักรยานยนต์"),
    ("พลังงานแสงอาทิตย์", "ติดตั้งระบบผลิตไฟฟ้าพลังงานแสงอาทิตย์ในโรงเรียนเพื่อลดค่าใช้จ่ายด้านพลังงาน"),
    ("ห้องสมุดมีชีวิต", "พัฒนาห้องสมุดมีชีวิตให้เป็นแหล่งเรียนรู้ของชุมชน"),
    ("เกษตรทฤษฎีใหม่", "น้อมนำเกษตรทฤษฎีใหม่มาจัดทำแปลงเกษตรในโรงเรียน"),
    ("การปฐมพยาบาล", "ฝึกอบรมการปฐมพยาบาลเบื้องต้นและการช่วยฟื้นคืนชีพให้ครูและนักเรียน"),
    ("การท่องเที่ยวชุมชน", "ส่งเสริมมัคคุเทศก์น้อยเพื่อการท่องเที่ยวชุมชนในท้องถิ่น"),
    ("ฝุ่น PM2.5", "เฝ้าระวังฝุ่นละออง PM2.5 และจัดห้องเรียนปลอดฝุ่นในช่วงวิกฤต"),
    ("ฟุตบอลเยาวชน", "จัดการแข่งขันฟุตบอลเยาวชนระหว่างโรงเรียนในเขตพื้นที่"),
    ("การปลูกป่า", "ปลูกป่าและอนุรักษ์ป่าชุมชนร่วมกับองค์กรปกครองส่วนท้องถิ่น"),
    ("การป้องกันไข้เลือดออก", "ร่วมรณรงค์กำจัดลูกน้ำยุงลายเพื่อป้องกันไข้เลือดออกในโรงเรียน"),
    ("นักเรียนไร้สัญชาติ", "จัดการศึกษาให้นักเรียนไร้สัญชาติและกลุ่มชาติพันธุ์ได้รับเอกสารรับรองตน"),
)
# how many plans hold each topic's sentence (a which-answer may have to list 50 offices)
HOLDERS = (1, 1, 2, 2, 3, 3, 4, 5, 5, 6, 8, 8, 10, 12, 15, 20, 25, 30, 40, 50)

def question(topic: str) -> str:
    return f"สำนักงานใดเน้น{topic}"


def holders(n_docs: int, seed: int = 14) -> dict[int, list[int]]:
    """Topic number -> the plan numbers that hold its sentence."""
    rng = random.Random(seed)
    return {t: sorted(rng.sample(range(n_docs), min(count, n_docs))) for t, count in enumerate(HOLDERS)}


def write_corpus(dest: Path, n_docs: int) -> dict[int, list[int]]:
    """The 1,000-plan corpus with the topics' sentences in place (rewritten only when missing)."""
    from evals.bench.synthetic import PlanWriter

    held = holders(n_docs)
    if not (dest.is_dir() and len(list(dest.glob("*.txt"))) == n_docs):
        extra: dict[int, list[str]] = {}
        for t, plans in held.items():
            for n in plans:
                extra.setdefault(n, []).append(TOPICS[t][1])
        PlanWriter(SEED_PLANS).write(dest, n_docs, extra)
    return held


def measure(work: Path, n_docs: int, embedding: str, runs: int, say: Any) -> dict[str, Any]:
    """Build (or reuse) the index, ask the twenty questions ``runs`` times; the figures."""
    from evals.bench.figures import bench_settings, percentile
    from evals.bench.synthetic import offices
    from ingest.pipeline import run as ingest
    from retrieval.service import Service

    if n_docs > len(offices()):
        raise ValueError(f"the which-office bench has {len(offices())} distinct offices; asked for {n_docs} plans")
    corpus = work / f"which-corpus-{n_docs}"
    held = write_corpus(corpus, n_docs)
    settings = bench_settings(corpus, work / f"which-index-{n_docs}-{embedding.replace(':', '_')}", embedding)
    report = ingest(settings, progress=_progress(say))
    say(f"  which: index of {n_docs} plans ready ({report.chunks:,} chunks written, {report.seconds:.0f} s)")
    service = Service(settings)
    service.warm_up()
    office_of = service.index.office_of()
    truth = {t: {office_of[f"plan_{n:06d}.txt"] for n in plans} for t, plans in held.items()}
    rows: list[dict[str, Any]] = []
    latencies: list[list[float]] = []
    for r in range(runs):
        times = []
        for t, (topic, _) in enumerate(TOPICS):
            started = time.perf_counter()
            answer = service.answer(question(topic))
            times.append((time.perf_counter() - started) * 1000)
            if r == 0:
                named = set() if answer.abstained else {c.office for c in answer.citations}
                first = _first_tier(service, question(topic))
                rows.append({"topic": topic, "holders": len(truth[t]), "named": len(named),
                             "correct": len(named & truth[t]), "abstained": answer.abstained,
                             "first_tier": len(first), "first_tier_correct": len(first & truth[t])})
        latencies.append(times)
    held_n = sum(r["holders"] for r in rows)
    named_n = sum(r["named"] for r in rows)
    correct = sum(r["correct"] for r in rows)
    first_n = sum(r["first_tier"] for r in rows)
    first_correct = sum(r["first_tier_correct"] for r in rows)
    p95 = statistics.median(percentile(ts, 0.95) for ts in latencies)
    say(f"  which: recall {correct / held_n:.3f}, precision {correct / max(named_n, 1):.3f} (listed first: "
        f"{first_correct / held_n:.3f}, {first_correct / max(first_n, 1):.3f}), p95 {p95:.0f} ms")
    return {
        "plans": n_docs,
        "chunks": service.index.lexical.chunk_count(),
        "embedding": embedding,
        "questions": len(rows),
        "which_office_recall": correct / held_n,
        "which_office_precision": correct / named_n if named_n else 0.0,
        "which_office_recall_macro": statistics.mean(r["correct"] / r["holders"] for r in rows),
        "which_office_precision_macro": statistics.mean(r["correct"] / r["named"] if r["named"] else 0.0
                                                        for r in rows),
        # the offices listed first (not under "กล่าวถึงในเรื่องที่ใกล้เคียง"): their recall and precision
        "which_first_tier_recall": first_correct / held_n,
        "which_first_tier_precision": first_correct / first_n if first_n else 0.0,
        "which_p50_ms": statistics.median(percentile(ts, 0.5) for ts in latencies),
        "which_p95_ms": p95,
        "per_topic": rows,
    }


def _first_tier(service: Any, text: str) -> set[str]:
    """The offices an answer lists first: the which-decision's offices not in its second tier
    ("กล่าวถึงในเรื่องที่ใกล้เคียง"), from the same evidence the answer was written from."""
    from retrieval.decide import decide
    from retrieval.gather import Evidence

    answerer = service.answerer
    with service.index.rw.read():
        ev = answerer.gather(service.ask(text))
        if not isinstance(ev, Evidence):
            return set()  # answered before any evidence was weighed
        d = decide(ev, answerer.policy())
    return set() if d.abstain else {n.office for n in d.offices if not n.close}


def _progress(say: Any) -> Any:
    last = {"t": 0.0}

    def step(done: int, total: int, what: str) -> None:
        if time.monotonic() - last["t"] > 30 or (total and done >= total):
            last["t"] = time.monotonic()
            say(f"  which: {what} {done:,}/{total:,}")

    return step
