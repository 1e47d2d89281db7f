"""What every sentence shown to a person must be: plain words, no machine names or codes, and
none of the jargon the GOV.UK style guide asks services to avoid."""

from __future__ import annotations

import re

# What a reader must never see: a code, an id, a field's machine name, or jargon the GOV.UK
# style guide asks us to avoid (https://www.gov.uk/guidance/style-guide/a-to-z).
MACHINE_NAME = re.compile(r"[a-z0-9]+_[a-z0-9_]+|[a-z0-9]+-[a-z0-9-]+|\w+\.\w+\b|[{}<>`]")
JARGON = re.compile(
    r"data subject|gateway|\bper\b|pursuant|hereby|processing|disclos|in order to|utilis|facilitat"
)


def plain(sentence: str) -> None:
    assert not MACHINE_NAME.search(sentence), sentence
    assert not JARGON.search(sentence.lower()), sentence
    assert sentence[:1].isupper(), sentence
    assert sentence.endswith("."), sentence
    assert len(sentence.split()) <= 30, f"too long for one plain sentence: {sentence}"
