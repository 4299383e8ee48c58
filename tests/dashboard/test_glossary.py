"""Glossary: every statistic and code the pages show has a short explanation."""

from __future__ import annotations

import pytest

from audits.data_quality.registry import CODES
from dashboard import glossary


@pytest.mark.parametrize(
    "term",
    [
        "DQ_PROXY",
        "Cramér's V",
        "interventional",
        "untracked",
        "measured",
        "estimated",
        "log-odds",
        "info",
        "PSI",
    ],
)
def test_the_words_the_issue_names_are_explained(term):
    text = glossary.help_for(term)
    assert text and len(text) < 260


def test_every_data_quality_code_has_a_tooltip():
    missing = [c for c in CODES if not glossary.help_for(c)]
    assert missing == []


def test_unknown_terms_give_none_and_the_first_known_key_wins():
    assert glossary.help_for("no such thing") is None
    assert glossary.help_for("no such thing", "tpr") == glossary.TERMS["tpr"]


def test_help_text_lists_only_known_terms():
    text = glossary.help_text(["tpr", "nonsense", "fpr"])
    assert text.count("**") == 4 and "nonsense" not in text
