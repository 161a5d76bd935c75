"""Hybrid retrieval over the real seed index: office and section intent,
Thai digits, English, filters and diversification."""

from __future__ import annotations

import pytest

from ingest.offices import OfficeKey, find_office_mentions
from planqa.types import IndexedDocument
from retrieval.hybrid import diversify
from retrieval.query import known_offices, parse_query, section_intents

MUK = "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษามุกดาหาร"
AREA = "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา เขต {}"
OFFICE_DOCS = [
    IndexedDocument(source=f"plan{n}.txt", office=office, office_named=named, title="", sha256="", format="txt",
                    encoding="utf-8", sections=(), chunk_ids=())
    for n, (office, named) in enumerate([
        (AREA.format(4), True),
        (AREA.format(13), True),
        (AREA.format(20), True),
        (MUK, True),
        ("แผนไม่ระบุสำนักงาน “วิสัยทัศน์ ค่านิยมหลักองค์กร พันธกิจ…”", False),
    ])
]


@pytest.fixture(scope="module")
def svc(seed_settings):  # type: ignore[no-untyped-def]
    from retrieval.service import get_service

    service = get_service(seed_settings)
    service.warm_up()
    return service


@pytest.mark.parametrize(
    ("question", "office"),
    [
        ("วิสัยทัศน์ของ สพม.4", AREA.format(4)),
        ("สพม. เขต 13 มีพันธกิจอะไร", AREA.format(13)),
        ("สพม.เขต13 เป้าประสงค์", AREA.format(13)),
        ("แผนของเขต ๒๐ เน้นอะไร", AREA.format(20)),
        ("สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา เขต ๒๐", AREA.format(20)),
        ("วิสัยทัศน์ของมุกดาหาร", MUK),
        ("สพม.มุกดาหาร มีค่านิยมอะไร", MUK),
        ("What is the vision of the Mukdahan office?", MUK),
        ("mission of secondary education area 4", AREA.format(4)),
    ],
)
def test_office_mentions_resolve_to_indexed_offices(question: str, office: str) -> None:
    query = parse_query(question, known_offices(OFFICE_DOCS))
    assert query.offices == (office,)
    assert query.unknown_offices == ()


@pytest.mark.parametrize("question", ["สพม.เชียงใหม่ มีวิสัยทัศน์อย่างไร", "วิสัยทัศน์ของ สพม. เขต 2", "Chiang Mai office vision"])
def test_offices_not_in_the_index_are_reported_unknown(question: str) -> None:
    query = parse_query(question, known_offices(OFFICE_DOCS))
    assert query.offices == ()
    assert query.unknown_offices


def test_partial_mentions_match_only_agreeing_keys() -> None:
    (mention,) = find_office_mentions("เขต ๒๐")
    assert mention == OfficeKey(None, "", "20")
    assert mention.matches(OfficeKey("secondary", "", "20"))
    assert not mention.matches(OfficeKey("secondary", "", "2"))
    assert not OfficeKey(None, "", "").matches(OfficeKey("secondary", "", "20"))


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("วิสัยทัศน์คืออะไร", "vision"),
        ("ป้าประสงค์ของเขต 13", "goal"),
        ("ภาระหน้าที่หลักขององค์กร", "mission"),
        ("What are the core values?", "values"),
        ("KPI ด้านความปลอดภัย", "indicator"),
        ("ประเด็นกลยุทธ์ข้อ ๓", "strategy"),
        ("List the strategic issues of area 20", "strategy"),
        ("มุกดาหารให้ความสำคัญเป็นพิเศษกับเรื่องอะไร", "focus"),
        ("ภาพลักษณ์ที่ สพม.13 อยากให้คนจดจำ", "identity"),
    ],
)
def test_section_intent(question: str, kind: str) -> None:
    assert kind in section_intents(question)


def test_a_which_question_reads_a_section_paraphrase_as_its_frame() -> None:
    """"เขตไหนเน้นเรื่อง X" asks which plans emphasise X, wherever they say it; "X เน้นเรื่องอะไร" and a
    heading word ("จุดเน้น") still ask for the focus points."""
    offices = known_offices(OFFICE_DOCS)
    assert parse_query("เขตไหนบ้างที่เน้นเรื่องเศรษฐกิจพอเพียง", offices).section_kinds == ()
    assert parse_query("มุกดาหารเน้นเรื่องอะไรบ้าง", offices).section_kinds == ("focus",)
    assert parse_query("เขตไหนมีจุดเน้นเรื่องความปลอดภัย", offices).section_kinds == ("focus",)
    assert parse_query("เขตไหนมีวิสัยทัศน์เรื่องเทคโนโลยี", offices).section_kinds == ("vision",)


def test_question_kinds_are_recognised() -> None:
    offices = known_offices(OFFICE_DOCS)
    assert parse_query("สำนักงานใดเน้นความปลอดภัยของนักเรียน", offices).wants_many_offices
    assert parse_query("Which offices mention student safety?", offices).wants_many_offices
    assert parse_query("เปรียบเทียบวิสัยทัศน์ของเขต 13 กับเขต 20", offices).compare
    assert parse_query("What is the vision of area 4?", offices).english
    assert parse_query("พันธกิจข้อ ๒ ของเขต ๒๐", offices).item_numbers == ("2",)


@pytest.mark.parametrize("retriever", ["dense", "bm25", "hybrid"])
def test_each_retriever_finds_the_vision_of_an_office(svc, retriever: str) -> None:  # type: ignore[no-untyped-def]
    hits = svc.search("วิสัยทัศน์ของ สพม.มุกดาหาร", k=5, retriever=retriever)
    assert hits[0].chunk.source == "004_324aff1e68aa4ee5.txt"
    assert hits[0].chunk.section_kind == "vision"
    assert all(h.chunk.office == MUK for h in hits)


def test_thai_digit_query_matches_arabic_digit_office(svc) -> None:  # type: ignore[no-untyped-def]
    thai = svc.search("พันธกิจของเขต ๒๐", k=3)
    arabic = svc.search("พันธกิจของเขต 20", k=3)
    assert [h.chunk.id for h in thai] == [h.chunk.id for h in arabic]
    assert thai[0].chunk.source == "003_500a49f8050b8f55.txt"
    assert thai[0].chunk.section_kind == "mission"


def test_english_question_finds_thai_passage(svc) -> None:  # type: ignore[no-untyped-def]
    hits = svc.search("What is the mission of secondary education area 13?", k=3)
    assert hits[0].chunk.source == "001_6c7f6f6f50bc0cc0.txt"
    assert hits[0].chunk.section_kind == "mission"


def test_office_and_section_filters(svc) -> None:  # type: ignore[no-untyped-def]
    hits = svc.search("ความปลอดภัย", k=10, offices=[MUK])
    assert hits and all(h.chunk.office == MUK for h in hits)
    boosted = svc.search("ความปลอดภัย", k=3, offices=[MUK], sections=["indicator"])
    assert boosted[0].chunk.section_kind == "indicator"


def test_which_questions_cover_several_offices(svc) -> None:  # type: ignore[no-untyped-def]
    hits = svc.search("สำนักงานใดเน้นความปลอดภัยของนักเรียน", k=5)
    offices = [h.chunk.office for h in hits]
    assert max(offices.count(o) for o in offices) <= 2
    assert MUK in offices[:5]
    assert any(h.chunk.source == "002_1f30bfc08ba12608.txt" for h in hits[:3])


def test_diversify_caps_hits_per_office(svc) -> None:  # type: ignore[no-untyped-def]
    hits = svc.search("ความปลอดภัย", k=20)
    capped = diversify(hits, 1)
    first = [h.chunk.office for h in capped[: len({h.chunk.office for h in hits})]]
    assert len(first) == len(set(first))
    assert sorted(h.chunk.id for h in capped) == sorted(h.chunk.id for h in hits)


def test_unknown_retriever_is_refused(svc) -> None:  # type: ignore[no-untyped-def]
    from planqa.errors import InvalidInput

    with pytest.raises(InvalidInput, match="not one of hybrid, dense, bm25"):
        svc.search("วิสัยทัศน์", retriever="tfidf")


def test_langchain_retriever_returns_documents(svc) -> None:  # type: ignore[no-untyped-def]
    from retrieval.retriever import PlanRetriever

    docs = PlanRetriever(service=svc, k=3).invoke("ค่านิยมของเขต 20")
    assert len(docs) == 3
    assert docs[0].metadata["source"] == "003_500a49f8050b8f55.txt"
    assert "SMILE" in docs[0].metadata["section"]


def test_cli_search_json(seed_settings) -> None:  # type: ignore[no-untyped-def]
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "PLANQA_INDEX_DIR": str(seed_settings.index_dir), "PLANQA_CORPUS_DIR": str(seed_settings.corpus_dir)}
    out = subprocess.run(
        [sys.executable, "-m", "retrieval", "search", "วิสัยทัศน์ เขต 4", "--k", "2", "--json"],
        capture_output=True, text=True, env=env, check=True, timeout=120,
    )
    hits = json.loads(out.stdout)
    assert len(hits) == 2 and hits[0]["source"] == "000_85eb215d03d6bd52.txt"


@pytest.mark.slow
@pytest.mark.parametrize("k", ["0", "-1"])
def test_cli_refuses_a_k_below_one_in_one_line(seed_settings, k: str) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    from retrieval.inputs import MAX_K

    env = {**os.environ, "PLANQA_INDEX_DIR": str(seed_settings.index_dir), "PLANQA_CORPUS_DIR": str(seed_settings.corpus_dir)}
    out = subprocess.run([sys.executable, "-m", "retrieval", "search", "วิสัยทัศน์", f"--k={k}"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip().splitlines() == [f"error: k must be from 1 to {MAX_K}, not {k}"]


def test_office_of_maps_every_indexed_file_to_the_office_its_chunks_carry(svc) -> None:  # type: ignore[no-untyped-def]
    from evals.cases import SEED_PLANS

    office_of = svc.index.office_of()
    assert set(office_of) == {p.name for p in SEED_PLANS.iterdir() if p.is_file()}
    hit = svc.search("วิสัยทัศน์ของ สพม.มุกดาหาร", k=1)[0]
    assert office_of[hit.chunk.source] == hit.chunk.office == "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษามุกดาหาร"
