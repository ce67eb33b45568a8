"""Decisions CSV, study-characteristics and synthesis XLSX, and the PRISMA2020 R package CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from empower.evidence.outputs import (
    DECISION_COLUMNS,
    decisions_csv,
    prisma_r_csv,
    study_characteristics_xlsx,
    synthesis_xlsx,
)
from empower.evidence.prisma import PrismaCounts

# --------------------------------------------------------------------------------------------
# decisions


DECISIONS = [
    {"record_id": 17, "title": "Photovoice with formerly abducted women", "stage": "full_text",
     "reviewer": "mtauson", "decision": "include", "reason": "", "note": "",
     "decided_at": dt.datetime(2023, 2, 3, 9, 30, tzinfo=dt.UTC), "id": 99},
    {"record_id": "18", "title": "=HYPERLINK(\"http://x\")", "stage": "title_abstract",
     "reviewer": "cgrasso", "decision": "0", "reason": "-not empirical",
     "note": "línea, con \"comillas\"\nen dos líneas", "decided_at": "2023-01-24T16:05:00"},
]


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_decisions_csv_rows_and_header():
    text = decisions_csv(DECISIONS)
    assert text.startswith("\ufeff")
    rows = read_csv(text.removeprefix("\ufeff"))
    assert rows[0] == list(DECISION_COLUMNS)
    assert rows[1] == ["17", "Photovoice with formerly abducted women", "full_text", "mtauson",
                       "include", "", "", "2023-02-03T09:30:00+00:00"]
    assert rows[2] == ["18", "'=HYPERLINK(\"http://x\")", "title_abstract", "cgrasso", "0",
                       "'-not empirical", "línea, con \"comillas\"\nen dos líneas",
                       "2023-01-24T16:05:00"]
    assert len(rows) == 3


def test_decisions_csv_reads_back_with_utf8_sig_and_crlf():
    data = decisions_csv(DECISIONS).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf") and not data.startswith(b"\xef\xbb\xbf" * 2)
    assert b"record_id,title" in data and data.count(b"\r\n") == 3
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[1]["note"] == "línea, con \"comillas\"\nen dos líneas"


def test_decisions_csv_without_bom():
    assert decisions_csv(DECISIONS, bom=False).startswith("record_id,")


def test_decisions_csv_names_every_incomplete_decision():
    with pytest.raises(ValueError, match=r"decision 1: missing reviewer; "
                                         r"decision 3: missing stage, decided_at"):
        decisions_csv([{"record_id": 1, "stage": "s", "decision": "x", "decided_at": "t"},
                       DECISIONS[0],
                       {"record_id": 2, "reviewer": "r", "decision": "x"}])


def test_decisions_csv_of_nothing_is_the_header():
    assert read_csv(decisions_csv([], bom=False)) == [list(DECISION_COLUMNS)]


# --------------------------------------------------------------------------------------------
# study characteristics (the seed's Table 6)

STUDY_COLUMNS = [("study", "Study"), ("database", "Database"), ("type", "Type of publication"),
                 ("methods", "Research methods"), ("sample", "Sample size"),
                 ("country", "Country/ies")]
STUDIES = [
    {"study": "Acan et al., 2019", "database": "Scopus", "type": "Peer reviewed article",
     "methods": ["Participatory methods", "photovoice"], "sample": 13, "country": "Uganda"},
    {"study": "Hoefinger et al., 2019", "database": "Scopus", "type": "Peer reviewed article",
     "methods": "Participant observation, KIIs, survivor interviews", "sample": 70,
     "country": "=USA"},
]


def load(data: bytes):
    return load_workbook(io.BytesIO(data))


def test_study_characteristics_cells():
    sheet = load(study_characteristics_xlsx(STUDIES, STUDY_COLUMNS))["Study characteristics"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values == [
        ["Study", "Database", "Type of publication", "Research methods", "Sample size",
         "Country/ies"],
        ["Acan et al., 2019", "Scopus", "Peer reviewed article",
         "Participatory methods; photovoice", 13, "Uganda"],
        ["Hoefinger et al., 2019", "Scopus", "Peer reviewed article",
         "Participant observation, KIIs, survivor interviews", 70, "=USA"],
    ]
    assert sheet["E2"].data_type == "n"
    assert sheet["F3"].data_type == "s"  # text, never a formula


def test_study_characteristics_layout():
    sheet = load(study_characteristics_xlsx(STUDIES, STUDY_COLUMNS)).active
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    assert not sheet["A2"].font.bold
    assert all(cell.alignment.wrap_text for row in sheet.iter_rows() for cell in row)
    # width = longest text + 2, at least 8, at most 60
    assert sheet.column_dimensions["A"].width == len("Hoefinger et al., 2019") + 2
    assert sheet.column_dimensions["E"].width == len("Sample size") + 2
    assert sheet.column_dimensions["D"].width == len(STUDIES[1]["methods"]) + 2
    assert sheet.column_dimensions["B"].width == len("Database") + 2


def test_study_characteristics_width_is_capped_and_missing_keys_are_empty():
    rows = [{"study": "x" * 200}]
    sheet = load(study_characteristics_xlsx(rows, [("study", "S"), ("other", "O")])).active
    assert sheet.column_dimensions["A"].width == 60
    assert sheet.column_dimensions["B"].width == 8
    assert sheet["B2"].value is None


def test_control_characters_are_dropped():
    sheet = load(study_characteristics_xlsx([{"a": "bad\x07bell"}], [("a", "A")])).active
    assert sheet["A2"].value == "badbell"


# --------------------------------------------------------------------------------------------
# synthesis (the seed's Table 8: themes across the two included studies)

THEMES = [
    {"theme": "Education", "description": "Access to schooling",
     "findings": {"Acan et al., 2019": "Social and educational services (not specified)",
                  "Hoefinger et al., 2019": ""}},
    {"theme": "Solidarity",
     "findings": {"Hoefinger et al., 2019": "Fight discrimination in the justice system",
                  "Acan et al., 2019": "Reducing stigma and social exclusion"}},
    {"theme": "Health", "findings": {}},
]


def test_synthesis_table():
    sheet = load(synthesis_xlsx(THEMES))["Synthesis"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values == [
        ["Theme", "Description", "Acan et al., 2019", "Hoefinger et al., 2019", "Studies (n)"],
        ["Education", "Access to schooling", "Social and educational services (not specified)",
         None, 1],
        ["Solidarity", None, "Reducing stigma and social exclusion",
         "Fight discrimination in the justice system", 2],
        ["Health", None, None, None, 0],
    ]
    assert sheet.freeze_panes == "A2" and sheet["C1"].font.bold


def test_synthesis_study_order_can_be_given():
    studies = ["Hoefinger et al., 2019", "Acan et al., 2019"]
    sheet = load(synthesis_xlsx(THEMES, studies=studies)).active
    assert [cell.value for cell in sheet[1]][2:4] == studies


def test_synthesis_rejects_bad_themes():
    with pytest.raises(ValueError, match=r"theme 1: no name; theme 2: unknown keys quotes; "
                                         r"theme 2: study 'C' is not in studies"):
        synthesis_xlsx([{"theme": " "}, {"theme": "T", "quotes": [], "findings": {"C": "x"}}],
                       studies=["A"])


# --------------------------------------------------------------------------------------------
# PRISMA2020 R package CSV

#: inst/extdata/PRISMA.csv of the PRISMA2020 R package (Haddaway et al. 2022), verbatim.
R_TEMPLATE = """\
data,node,box,description,boxtext,tooltips,url,n
NA,node4,prevstud,Grey title box; Previous studies,Previous studies,Grey title box; Previous studies,prevstud.html,0
previous_studies,node5,box1,Studies included in previous version of review,Studies included in previous version of review,Studies included in previous version of review,previous_studies.html,0
previous_reports,NA,box1,Reports of studies included in previous version of review,Reports of studies included in previous version of review,NA,previous_reports.html,0
NA,node6,newstud,Yellow title box; Identification of new studies via databases and registers,Identification of new studies via databases and registers,Yellow title box; Identification of new studies via databases and registers,newstud.html,0
database_results,node7,box2,Records identified from: Databases,Databases,Records identified from: Databases and Registers,database_results.html,0
database_specific_results,NA,box2,Records identified from: specific databases,Specific Databases,NA,database_results.html,"Database 1, xxx; Database 2, xxx; Database 3, xxx"
register_results,NA,box2,Records identified from: Registers,Registers,NA,NA,0
register_specific_results,NA,box2,Records identified from: specific registers,Specific Registers,NA,database_results.html,"Register 1, xxx; Register 2, xxx; Register 3, xxx"
NA,node16,othstud,Grey title box; Identification of new studies via other methods,Identification of new studies via other methods,Grey title box; Identification of new studies via other methods,othstud.html,0
website_results,node17,box11,Records identified from: Websites,Websites,"Records identified from: Websites, Organisations and Citation Searching",website_results.html,0
organisation_results,,box11,Records identified from: Organisations,Organisations,NA,NA,0
citations_results,NA,box11,Records identified from: Citation searching,Citation searching,NA,NA,0
duplicates,node8,box3,Duplicate records,Duplicate records,Duplicate records,duplicates.html,0
excluded_automatic,NA,box3,Records marked as ineligible by automation tools,Records marked as ineligible by automation tools,NA,NA,0
excluded_other,NA,box3,Records removed for other reasons,Records removed for other reasons,NA,NA,0
records_screened,node9,box4,Records screened (databases and registers),Records screened,Records screened (databases and registers),records_screened.html,0
records_excluded,node10,box5,Records excluded (databases and registers),Records excluded,Records excluded (databases and registers),records_excluded.html,0
dbr_sought_reports,node11,box6,Reports sought for retrieval (databases and registers),Reports sought for retrieval,Reports sought for retrieval (databases and registers),dbr_sought_reports.html,0
dbr_notretrieved_reports,node12,box7,Reports not retrieved (databases and registers),Reports not retrieved,Reports not retrieved (databases and registers),dbr_notretrieved_reports.html,0
other_sought_reports,node18,box12,Reports sought for retrieval (other),Reports sought for retrieval,Reports sought for retrieval (other),other_sought_reports.html,0
other_notretrieved_reports,node19,box13,Reports not retrieved (other),Reports not retrieved,Reports not retrieved (other),other_notretrieved_reports.html,0
dbr_assessed,node13,box8,Reports assessed for eligibility (databases and registers),Reports assessed for eligibility,Reports assessed for eligibility (databases and registers),dbr_assessed.html,0
dbr_excluded,node14,box9,"Reports excluded (databases and registers): [separate reasons and numbers using ; e.g. Reason1, xxx; Reason2, xxx; Reason3, xxx]",Reports excluded,Reports excluded (databases and registers),dbrexcludedrecords.html,"Reason1, xxx; Reason2, xxx; Reason3, xxx"
other_assessed,node20,box14,Reports assessed for eligibility (other),Reports assessed for eligibility,Reports assessed for eligibility (other),other_assessed.html,0
other_excluded,node21,box15,"Reports excluded (other): [separate reasons and numbers using ; e.g. Reason1, xxx; Reason2, xxx; Reason3, xxx]",Reports excluded,Reports excluded (other),other_excluded.html,"Reason1, xxx; Reason2, xxx; Reason3, xxx"
new_studies,node15,box10,New studies included in review,New studies included in review,New studies included in review,new_studies.html,0
new_reports,NA,box10,Reports of new included studies,Reports of new included studies,NA,NA,0
total_studies,node22,box16,Total studies included in review,Total studies included in review,Total studies included in review,total_studies.html,0
total_reports,NA,box16,Reports of total included studies,Reports of total included studies,NA,NA,0
identification,node1,identification,Blue identification box,Identification,Blue identification box,identification.html,0
screening,node2,screening,Blue screening box,Screening,Blue screening box,screening.html,0
included,node3,included,Blue included box,Included,Blue included box,included.html,0
"""  # noqa: E501

SEED = PrismaCounts(
    databases={"Google Scholar": 16_204, "ProQuest": 743, "Scopus": 742,
               "University of Sussex Library": 742},
    duplicates=648, removed_other=14_740,
    records_screened=3_043, records_excluded=3_011,
    dbr_sought=32, dbr_not_retrieved=2, dbr_assessed=30,
    dbr_excluded={"Mismatched definitions, collective action": 3,
                  "Peer support; not collective action": 4,
                  "Groups that exclude survivors": 2, "No active groups studied": 4,
                  "Misleading title or abstract": 6, "Poor quality": 9},
    dbr_included=2, studies_included=2,
)
MIXED = PrismaCounts(
    databases={"A": 6, "B": 4}, registers={"R": 2},
    other_sources={"Citation searching": 2, "Websites": 1, "Polaris hotline reports": 4},
    duplicates=2, automation=1, removed_other=1, records_screened=8, records_excluded=3,
    dbr_sought=5, dbr_not_retrieved=1, dbr_assessed=4,
    dbr_excluded={"Wrong population": 1, "Wrong design": 1}, dbr_included=2,
    other_sought=2, other_not_retrieved=1, other_assessed=1, other_included=1,
    studies_included=2,
)


def n_by_row(text: str) -> dict[str, str]:
    return {row["data"]: row["n"] for row in csv.DictReader(io.StringIO(text))
            if row["data"] != "NA"}


def parse_r_list(value: str) -> dict[str, int]:
    """What the package's PRISMA_parse_reasons_ reads: split at ";", name up to the first ","
    and the number after it."""
    out = {}
    for part in re.split(r";( )?", value):
        if part and part.strip():
            name = re.sub(r",.*$", "", part)
            out[name] = int(re.sub(r".*?,([ 0-9,]*)|.*()", r"\1", part).replace(",", ""))
    return out


def test_r_csv_has_the_template_rows_and_wording():
    ours = read_csv(prisma_r_csv(SEED))
    template = read_csv(R_TEMPLATE)
    assert ours[0] == template[0]
    assert [row[:7] for row in ours] == [row[:7] for row in template]


def test_r_csv_counts_of_the_seed_review():
    n = n_by_row(prisma_r_csv(SEED))
    assert {key: n[key] for key in (
        "database_results", "register_results", "website_results", "organisation_results",
        "citations_results", "duplicates", "excluded_automatic", "excluded_other",
        "records_screened", "records_excluded", "dbr_sought_reports",
        "dbr_notretrieved_reports", "dbr_assessed", "other_sought_reports",
        "other_notretrieved_reports", "other_assessed", "new_studies", "new_reports",
        "total_studies", "total_reports", "previous_studies", "previous_reports",
    )} == {
        "database_results": "18431", "register_results": "0", "website_results": "0",
        "organisation_results": "0", "citations_results": "0", "duplicates": "648",
        "excluded_automatic": "0", "excluded_other": "14740", "records_screened": "3043",
        "records_excluded": "3011", "dbr_sought_reports": "32",
        "dbr_notretrieved_reports": "2", "dbr_assessed": "30", "other_sought_reports": "0",
        "other_notretrieved_reports": "0", "other_assessed": "0", "new_studies": "2",
        "new_reports": "2", "total_studies": "2", "total_reports": "2",
        "previous_studies": "0", "previous_reports": "0",
    }
    assert n["database_specific_results"] == ("Google Scholar, 16204; ProQuest, 743; "
                                              "Scopus, 742; University of Sussex Library, 742")
    assert n["register_specific_results"] == ""
    assert n["other_excluded"] == "0"
    assert parse_r_list(n["dbr_excluded"]) == {
        "Mismatched definitions - collective action": 3,
        "Peer support - not collective action": 4,
        "Groups that exclude survivors": 2, "No active groups studied": 4,
        "Misleading title or abstract": 6, "Poor quality": 9,
    }


def test_r_csv_other_methods_need_a_row_for_every_source():
    with pytest.raises(ValueError, match="Polaris hotline reports"):
        prisma_r_csv(MIXED)
    n = n_by_row(prisma_r_csv(MIXED, other_rows={"Polaris hotline reports":
                                                 "organisation_results"}))
    assert (n["website_results"], n["organisation_results"], n["citations_results"]) == (
        "1", "4", "2")
    assert parse_r_list(n["register_specific_results"]) == {"R": 2}
    assert (n["other_sought_reports"], n["other_notretrieved_reports"],
            n["other_assessed"]) == ("2", "1", "1")
    assert (n["new_studies"], n["new_reports"]) == ("2", "3")


def test_r_csv_rejects_a_mapping_to_a_row_that_does_not_exist():
    with pytest.raises(ValueError, match="Polaris hotline reports"):
        prisma_r_csv(MIXED, other_rows={"Polaris hotline reports": "hotline_results"})


def test_r_csv_has_no_bom_and_unix_line_ends():
    text = prisma_r_csv(SEED)
    assert text.startswith("data,node,")
    assert "\r" not in text and text.endswith("included.html,0\n")


def test_r_csv_meta_analysis_rows_only_on_request():
    assert "total_studies_ma" not in prisma_r_csv(SEED)
    rows = read_csv(prisma_r_csv(SEED, meta_analysis_rows=True))
    assert [row[0] for row in rows[-2:]] == ["total_studies_ma", "total_reports_ma"]
    assert [row[7] for row in rows[-2:]] == ["0", "0"]
    assert rows[:-2] == read_csv(prisma_r_csv(SEED))
