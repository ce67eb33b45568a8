"""Keyword highlighting: whole words, no case or accents, wildcards, safe HTML."""

from __future__ import annotations

import pytest

from empower.evidence.highlight import Span, highlight, highlight_html


def marked(text, include=(), exclude=()):
    return [(text[s.start : s.end], s.kind) for s in highlight(text, include, exclude)]


def test_whole_words_only():
    text = "Survivors and a survivor-led group; not survivorship."
    assert marked(text, ["survivor"]) == [("survivor", "include")]
    assert highlight(text, ["survivor"]) == [Span(16, 24, "include", "survivor")]


def test_case_and_diacritics_are_ignored_both_ways():
    assert marked("SÃO PAULO and Sao Paulo", ["são paulo"]) == [
        ("SÃO PAULO", "include"),
        ("Sao Paulo", "include"),
    ]
    assert marked("Les réseaux de survivantes", ["RESEAUX"]) == [("réseaux", "include")]


def test_decomposed_accents_stay_inside_the_mark():
    text = "cafe\u0301 owners"  # "café" written as e + combining acute accent
    spans = highlight(text, ["cafe"])
    assert text[spans[0].start : spans[0].end] == "cafe\u0301"


def test_characters_that_fold_to_two():
    assert marked("Straße und Strasse", ["strasse"]) == [
        ("Straße", "include"),
        ("Strasse", "include"),
    ]


def test_wildcard():
    text = "Trafficking, trafficked people and traffickers; not antitrafficking."
    assert [w for w, _ in marked(text, ["traffick*"])] == [
        "Trafficking",
        "trafficked",
        "traffickers",
    ]
    assert marked("labour and labor", ["lab*r"]) == [("labour", "include"), ("labor", "include")]


def test_phrases_match_across_any_spacing():
    assert marked("forced\n  labour and forced marriage", ["forced labour"]) == [
        ("forced\n  labour", "include")
    ]


def test_include_and_exclude():
    text = "Survivor-led groups of trafficking survivors, not a review of reviews."
    assert marked(text, ["survivor*", "group*"], ["review*"]) == [
        ("Survivor", "include"),
        ("groups", "include"),
        ("survivors", "include"),
        ("review", "exclude"),
        ("reviews", "exclude"),
    ]


def test_overlaps_keep_the_longer_match_and_exclusions_win_ties():
    text = "child labour in child care"
    assert marked(text, ["child"], ["child labour"]) == [
        ("child labour", "exclude"),
        ("child", "include"),
    ]
    assert marked("animal model", ["animal"], ["animal"]) == [("animal", "exclude")]


def test_no_terms_and_blank_terms():
    assert highlight("anything", [], []) == []
    assert highlight("anything", ["", "   "]) == []
    with pytest.raises(ValueError, match="every word"):
        highlight("anything", ["*"])


def test_special_characters_in_terms_are_literal():
    assert marked("C++ and C# and Cxx", ["c++"]) == [("C++", "include")]
    assert marked("a (pilot) study", ["pilot"]) == [("pilot", "include")]
    assert marked("costs in $ and USD", ["u.d"]) == []


def test_html_is_escaped_before_marking():
    text = 'Survivors <script>alert("x")</script> & <b onmouseover="steal()">groups</b>'
    out = highlight_html(text, ["survivors", "groups", "script"], ["alert"])
    assert "<script>" not in out and "<b " not in out
    assert out == (
        '<mark class="include">Survivors</mark> '
        '&lt;<mark class="include">script</mark>&gt;<mark class="exclude">alert</mark>'
        '(&quot;x&quot;)&lt;/<mark class="include">script</mark>&gt; &amp; '
        '&lt;b onmouseover=&quot;steal()&quot;&gt;<mark class="include">groups</mark>&lt;/b&gt;'
    )


def test_terms_cannot_inject_markup():
    out = highlight_html("a <mark> tag", ['<mark class="x">'])
    assert out == "a &lt;mark&gt; tag"
    assert highlight_html("x < y", []) == "x &lt; y"
