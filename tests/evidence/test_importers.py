"""Reading RIS, BibTeX and CSV exports: every quirk, and never a silently lost record."""

from __future__ import annotations

from pathlib import Path

import pytest

from empower.evidence.importers import (
    SCREENING_MAPPING,
    ImportCountMismatch,
    ImportFailed,
    counts_by_source,
    decode,
    detect_flavour,
    find_doi,
    parse_year,
    read_bibtex,
    read_csv,
    read_file,
    read_ris,
    sniff_format,
    split_authors,
)

DATA = Path(__file__).parent / "data"
SCREENING = Path(__file__).resolve().parents[3] / "shared" / "data" / "screening"

ONE_RIS = "TY  - JOUR\nTI  - Müller’s study – part one\nAU  - Müller, H.\nPY  - 2019\nER  - \n"


# --------------------------------------------------------------------------- RIS


def test_endnote_ris_fields():
    result = read_file(DATA / "endnote.ris", "EndNote")
    assert (result.format, result.expected, len(result.records)) == ("ris", 3, 3)
    first = result.records[0]
    assert first.title == "Survivor-led organising after trafficking: a qualitative study"
    assert first.authors == ["Smith, John", "Müller, Hanna"]
    assert first.year == 2019  # from "2019///"
    assert first.journal == "Journal of Human Trafficking"  # T2
    assert first.doi == "10.1080/23322705.2019.1234567"
    assert first.keywords == ["trafficking", "peer support"]
    assert (first.source, first.source_id, first.record_type) == ("EndNote", "17", "JOUR")
    assert (first.position, first.raw["line"]) == (1, 1)
    assert first.raw["KW"] == ["trafficking", "peer support"]


def test_endnote_continuation_lines_make_one_abstract():
    first = read_file(DATA / "endnote.ris", "EndNote").records[0]
    assert first.abstract == (
        "Background: survivor-led groups are rarely studied. This second line of the "
        "abstract has no tag, and neither has this third one."
    )


def test_ris_alternative_tags():
    _, second, third = read_file(DATA / "endnote.ris", "EndNote").records
    assert second.title == "Collective action of survivors"  # T1
    assert second.abstract == "An abstract under N2."
    assert second.authors == ["Editor, Eve"]  # A2 only when there is no AU or A1
    assert second.year == 2020  # Y1 "2020/01/15"
    assert second.journal == "Anti-Trafficking Review"  # JO
    assert second.doi == "10.14197/atr.201220"  # from UR https://doi.org/…
    assert second.source_id == "WOS:000123"  # AN
    assert third.authors == ["Doe, Jane"]  # A1
    assert third.doi == "10.5555/report.42"  # "doi: …" in N1, trailing dot dropped


def test_ovid_quirks():
    result = read_file(DATA / "ovid.ris", "Ovid")
    assert (result.expected, len(result.records)) == (2, 2)
    first, second = result.records
    # "TI  - " and the title on the next line
    assert first.title == "Peer support among survivors of human trafficking"
    assert first.authors == ["Okafor, C.", "Nguyen, T."]  # blank line between them
    assert first.year == 2021  # Y1 "2021//"
    assert first.journal == "Journal of Interpersonal Violence"  # JF before JA
    assert first.doi == "10.1177/0886260520912345"  # bare DOI in M3
    assert second.title == "Second record, file ends without ER"
    assert [p.message for p in result.problems] == ["last record has no ER (end of file)"]
    assert not result.lost


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (b"\xef\xbb\xbf" + ONE_RIS.encode("utf-8"), "utf-8-sig"),
        (ONE_RIS.encode("utf-16"), "utf-16"),  # with its byte-order mark
        (ONE_RIS.encode("utf-16-le"), "utf-16-le"),  # no mark: told by the NUL bytes
        (ONE_RIS.encode("utf-8"), "utf-8"),
        (ONE_RIS.encode("cp1252"), "cp1252"),  # ’ and – are 0x92 and 0x96 there
    ],
)
def test_ris_encodings(encoded, encoding):
    result = read_ris(encoded, "Scopus")
    assert result.encoding == encoding
    assert result.records[0].title == "Müller’s study – part one"
    assert result.records[0].authors == ["Müller, H."]


def test_latin1_is_the_last_resort():
    data = "TY  - JOUR\nTI  - Ærø\x81\nER  - \n".encode("latin-1")  # 0x81 is not cp1252
    result = read_ris(data, "x")
    assert (result.encoding, result.records[0].title) == ("latin-1", "Ærø\x81")


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_ris_line_endings(newline):
    text = ONE_RIS.replace("\n", newline) * 2
    result = read_ris(text.encode("utf-8"), "x")
    assert [r.title for r in result.records] == ["Müller’s study – part one"] * 2
    assert [r.position for r in result.records] == [1, 2]


def test_ris_tag_lines_with_one_space_and_no_trailing_space():
    result = read_ris("TY - JOUR\nTI - A title\nER  -\n", "x")
    assert result.records[0].title == "A title"


def test_ris_count_mismatch_raises_and_names_the_lost_records():
    with pytest.raises(ImportCountMismatch) as caught:
        read_file(DATA / "broken.ris", "Broken")
    message = str(caught.value)
    assert "read 2 records but the file holds 4" in message
    assert "entry 2 (line 5)" in message and "entry 3 (line 8)" in message
    assert [(p.position, p.line) for p in caught.value.result.lost] == [(2, 5), (3, 8)]


def test_ris_allow_partial_lists_every_unreadable_record():
    result = read_file(DATA / "broken.ris", "Broken", allow_partial=True)
    assert [r.title for r in result.records] == ["A good record", "Another good record"]
    assert [r.position for r in result.records] == [1, 4]
    assert {p.position for p in result.lost} == {2, 3}
    assert not result.complete


# --------------------------------------------------------------------------- BibTeX


def test_bibtex_fields_accents_and_braces():
    result = read_file(DATA / "references.bib", "Zotero", allow_partial=True)
    smith, doe, same_key = result.records
    assert smith.title == "Survivor-led Organising in Europe: a étude of 50% of groups"
    assert smith.authors == ["Müller, Hanna", "Smith, John"]  # "and others" dropped
    assert smith.journal == "Journal of Human Trafficking"  # from @string
    assert (smith.year, smith.doi) == (2019, "10.1080/23322705.2019.1234567")
    assert smith.keywords == ["trafficking", "peer support"]
    assert (smith.source_id, smith.record_type) == ("smith2019", "article")
    assert doe.authors == ["Jane Doe", "Carlos Peña"]
    assert (doe.year, doe.journal, doe.doi) == (2020, "Handbook of Anti-Trafficking",
                                               "10.1000/hb.2020.7")
    assert same_key.title == "Same key, different work"


def test_bibtex_counts_entries_not_comments_strings_or_preambles():
    result = read_file(DATA / "references.bib", "Zotero", allow_partial=True)
    assert result.expected == 4


def test_bibtex_unreadable_entry_is_reported():
    with pytest.raises(ImportCountMismatch) as caught:
        read_file(DATA / "references.bib", "Zotero")
    assert "entry 3 (line 24)" in str(caught.value)
    result = read_file(DATA / "references.bib", "Zotero", allow_partial=True)
    (lost,) = result.lost
    assert (lost.position, lost.line) == (3, 24)
    assert "Unexpected block start" in lost.message
    warnings = [p for p in result.problems if not p.lost]
    assert "Duplicate entry key 'smith2019'" in warnings[0].message


def test_bibtex_from_str_and_crlf():
    text = "@article{a,\r\n  title = {One},\r\n  author = {A, B}\r\n}\r\n@misc{b, title={Two}}\r\n"
    result = read_bibtex(text, "x")
    assert [(r.title, r.raw["line"], r.position) for r in result.records] == [
        ("One", 1, 1), ("Two", 5, 2)
    ]


# --------------------------------------------------------------------------- CSV


def test_scopus_csv():
    result = read_file(DATA / "scopus.csv", "Scopus")
    assert result.encoding == "utf-8-sig"
    first, second = result.records
    assert first.authors == ["Smith J.", "Müller H."]
    assert first.keywords == ["trafficking", "peer support", "human trafficking"]
    assert (first.journal, first.year) == ("Journal of Human Trafficking", 2019)
    assert first.source_id == "2-s2.0-85061234567"
    assert second.authors == ["Okafor C.", "Nguyen T."]  # older Scopus: commas
    assert second.abstract == ""  # "[No abstract available]"
    assert second.raw["EID"] == "2-s2.0-85099999999"


def test_publish_or_perish_csv():
    result = read_file(DATA / "publish_or_perish.csv", "Google Scholar")
    first, second = result.records
    assert first.authors == ["J Smith", "H Müller"]
    assert first.doi == "10.1080/23322705.2019.1234567"  # from the article's doi.org URL
    assert first.journal == "Journal of Human Trafficking"
    assert second.authors == ["C Okafor", "T Nguyen"]  # trailing ellipsis dropped
    assert second.doi == "10.1177/0886260520912345"
    assert first.source_id == "" and first.raw["Cites"] == "12"


def test_generic_csv_with_mapping_and_semicolons():
    mapping = {
        "Record no": "source_id", "Article title": "title", "Writers": "authors",
        "Published": "year", "Periodical": "journal", "Digital object identifier": "doi",
        "Tags": "keywords",
    }
    result = read_file(DATA / "library_export.csv", "Library", mapping=mapping)
    assert result.expected == 3  # the blank line is not a row
    first, second, third = result.records
    assert first.authors == ["Smith, John", "Müller, Hanna"]
    assert second.title == "Peer support; among survivors"  # a quoted delimiter
    assert [r.source_id for r in result.records] == ["1", "2", "3"]
    assert (third.position, third.raw["line"]) == (3, 5)
    assert first.raw["Notes"] == "catalogue"


def test_generic_tab_delimited_without_mapping():
    result = read_file(DATA / "generic.tsv", "Export")
    first, second = result.records
    assert (first.title, first.authors, first.year) == (
        "Survivor-led organising", ["Smith, J", "Doe, A"], 2019
    )
    assert first.doi == "10.1000/ABC"
    assert second.authors == ["Pena, C"]


def test_csv_row_with_shifted_cells_is_lost_loudly():
    with pytest.raises(ImportCountMismatch) as caught:
        read_file(DATA / "broken.csv", "Broken")
    assert "entry 2 (line 3)" in str(caught.value)
    result = read_file(DATA / "broken.csv", "Broken", allow_partial=True)
    assert [r.title for r in result.records] == ["A good row", "Another good row"]
    assert result.expected == 3


def test_csv_unbalanced_quote_is_caught():
    text = (
        'title,authors,year\n"Opened but never closed,Smith,2019\n'
        "Second,Doe,2020\nThird,Roe,2021\n"
    )
    with pytest.raises(ImportCountMismatch) as caught:
        read_csv(text, "x")
    assert "unbalanced quote" in str(caught.value)


def test_csv_mapping_errors():
    with pytest.raises(ImportFailed, match="no title column"):
        read_csv("name,when\nx,2019\n", "x")
    with pytest.raises(ImportFailed, match="headline is not a field Empower knows"):
        read_csv("t\nx\n", "x", mapping={"t": "headline"})
    with pytest.raises(ImportFailed, match="in the column “Title”, but the file has no column"):
        read_csv("t\nx\n", "x", mapping={"Title": "title"})
    with pytest.raises(ImportFailed, match="empty"):
        read_csv(b"", "x")


def test_a_csv_without_a_title_column_says_what_to_do():
    with pytest.raises(ImportFailed) as caught:
        read_csv("name,when\nx,2019\n", "Library")
    message = str(caught.value)
    assert "Pass a mapping" not in message
    assert message == (
        "Library: no title column found. The file's columns are “name”, “when”. Say which "
        "column holds the titles, for example “name = title” (one column a line; add the "
        "other columns the same way)."
    )


def test_detect_flavour():
    assert detect_flavour(["Authors", "Title", "Source title", "EID"]) == "scopus"
    assert detect_flavour(["Cites", "Authors", "Title", "GSRank"]) == "publish_or_perish"
    assert detect_flavour(["pubmedID", "title"]) == "generic"


@pytest.mark.skipif(not SCREENING.is_dir(), reason="shared screening data not available")
@pytest.mark.parametrize(
    ("name", "count"), [("ADHD", 851), ("Antihistamines", 310), ("UrinaryIncontinence", 327)]
)
def test_screening_csvs_import_whole(name, count):
    path = SCREENING / f"{name}.csv"
    result = read_file(path, name, mapping=SCREENING_MAPPING)
    assert (result.expected, len(result.records), result.problems) == (count, count, [])
    first = result.records[0]
    assert first.source_id.isdigit() and first.title and first.authors
    assert {"label1", "label2"} <= set(first.raw)
    auto = read_file(path, name)  # the generic header aliases find the same columns
    assert [r.source_id for r in auto.records] == [r.source_id for r in result.records]
    assert "NA" not in {r.abstract for r in result.records}


# --------------------------------------------------------------------------- helpers


def test_split_authors():
    assert split_authors("Reimer, E J; Dunn, G S") == ["Reimer, E J", "Dunn, G S"]
    assert split_authors("Smith J., Jones A.B.") == ["Smith J.", "Jones A.B."]
    assert split_authors("Smith, J., Doe, A.") == ["Smith, J.", "Doe, A."]
    assert split_authors("J Smith, A Doe and B Brown") == ["J Smith", "A Doe", "B Brown"]
    assert split_authors("Smith, John and Doe, Jane") == ["Smith, John", "Doe, Jane"]
    assert split_authors("Smith, John") == ["Smith, John"]
    assert split_authors("Smith J, Doe A, et al.") == ["Smith J", "Doe A"]
    assert split_authors("[No author name available]") == []


def test_find_doi_and_parse_year():
    assert find_doi("https://doi.org/10.1000/xyz.") == "10.1000/xyz"
    assert find_doi("see 10.1000/other", marked_only=True) == ""
    assert find_doi("DOI 10.1000/abc; cited") == "10.1000/abc"
    assert parse_year("2019///") == parse_year("2019/05/01") == parse_year("May 2019") == 2019
    assert parse_year("n.d.") is None


def test_decode_str_drops_bom():
    assert decode("\ufeffTY  - JOUR") == ("TY  - JOUR", "str")


def test_sniff_format_and_read_file_by_content(tmp_path):
    export = tmp_path / "export.txt"
    export.write_bytes((DATA / "ovid.ris").read_bytes())
    assert read_file(export, "Ovid").format == "ris"
    assert sniff_format("@article{x, title={T}}") == "bibtex"
    assert sniff_format("title,authors\n") == "csv"
    assert sniff_format("", "refs.bib") == "bibtex"


def test_counts_by_source():
    results = [
        read_file(DATA / "endnote.ris", "EndNote"),
        read_file(DATA / "scopus.csv", "Scopus"),
        read_file(DATA / "ovid.ris", "Ovid"),
    ]
    assert counts_by_source(results) == {"EndNote": 3, "Scopus": 2, "Ovid": 2}
    assert results[1].summary() == "Scopus: 2 of 2 records (csv, utf-8-sig)"
