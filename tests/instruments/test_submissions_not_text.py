"""Files that are not submissions at all (a photo, a PDF, a program) are refused by name, before
anything is parsed, and text in every encoding a download comes in is still read."""

from __future__ import annotations

import pytest

from empower.instruments.submissions import not_a_submissions_file, read_submissions

#: The eight bytes every PNG file starts with (PNG specification, section 5.2), then the start
#: of an IHDR chunk, as a camera or screenshot tool writes it.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x00\xb4\x08\x06"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04"
#: Bytes of a made-up binary format: no signature, but NULs and other control bytes
#: throughout, which no text in UTF-8, UTF-16, Windows-1252 or Latin-1 has.
OTHER_BINARY = bytes(range(256)) * 4


@pytest.mark.parametrize(("data", "what"), [
    (PNG, "a picture (PNG)"),
    (JPEG, "a photo (JPEG)"),
    (PDF, "a PDF document"),
    (GIF, "a picture (GIF)"),
    (OTHER_BINARY, "a file that is not text (perhaps a picture, a document or a program)"),
])
def test_a_file_that_is_not_submissions_is_refused_by_name(data, what):
    reading = read_submissions(data, "kobo-export.csv")
    assert reading.submissions == []
    [problem] = reading.problems
    assert problem.row == 0 and not problem.warning
    assert problem.message == (
        f"kobo-export.csv seems to be {what}, not submissions downloaded from KoboToolbox or "
        "ODK Central. Nothing was read from it. Download the submissions again (CSV, Excel or "
        "JSON) and choose that file."
    )
    assert reading.notes == []  # no "read as Windows-1252" note: it was never read as text
    assert reading.encoding == ""


def test_a_png_named_like_a_workbook_or_json_is_called_a_picture_too():
    for name in ("export.xlsx", "data.json", "odk.zip", "noname"):
        assert "seems to be a picture (PNG)" in str(not_a_submissions_file(PNG, name))


@pytest.mark.parametrize("data", [
    "_uuid,name,যোগাযোগ\n1,আমিনা,২\n".encode(),
    "_uuid,name,যোগাযোগ\n1,আমিনা,২\n".encode("utf-16"),
    "_uuid\tname\tযোগাযোগ\n1\tআমিনা\t২\n".encode("utf-16-le"),
    "_uuid\tname\tযোগাযোগ\n1\tআমিনা\t২\n".encode("utf-16-be"),
    "_uuid;name\n1;Zoë Müller\n".encode("cp1252"),
    b"_uuid,name\n1,caf\x81\n",  # Latin-1: 0x81 means nothing in Windows-1252
    b'{"results": []}',
    b"PK\x03\x04rest-of-a-zip",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel",
    b"",
    b"\x00\x00\n",
])
def test_text_in_any_download_encoding_and_zip_files_are_not_refused(data):
    assert not_a_submissions_file(data, "x.csv") is None
