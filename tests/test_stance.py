"""support(office, topic): one office's own plan, searched alone, for one topic."""

from __future__ import annotations

import pytest

from retrieval.service import Service
from retrieval.stance import Strength, support, supports


@pytest.mark.slow
def test_support_quotes_the_office_own_plan_and_sees_no_other_office(seed_settings) -> None:  # type: ignore[no-untyped-def]
    service = Service(seed_settings)
    offices = sorted({o.name for o in service.offices()})
    stances = supports(service, offices, ["การออม", "การสำรวจดาวอังคาร"])
    assert [s.topic for s in stances] == ["การออม"] * len(offices) + ["การสำรวจดาวอังคาร"] * len(offices)
    for s in stances:
        assert 0.0 <= s.probability <= 1.0
        assert all(c.office == s.office for c in s.quotes)  # judged and quoted on its own plan only
        for c in s.quotes:
            lines = (seed_settings.corpus_dir / c.source).read_text(encoding="utf-8").split("\n")
            assert c.text == "\n".join(lines[c.start_line - 1 : c.end_line]).strip()
    mars = [s for s in stances if s.topic == "การสำรวจดาวอังคาร"]
    assert all(s.strength is not Strength.STRONG for s in mars)
    one = support(service, offices[0], "การออม")
    assert one == next(s for s in stances if s.office == offices[0] and s.topic == "การออม")
