"""A photo chosen by mistake on the Import page is refused on the form, naming the file and
what it seems to be; nothing is stored."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from empower.web.fieldwork.models import PendingImport

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x00\xb4\x08\x06" * 20


def test_a_png_uploaded_as_a_kobo_csv_is_refused_before_it_is_read(org_a, login):
    client = login(org_a, "interviewer")
    response = client.post(reverse("import_upload"), {
        "file": SimpleUploadedFile("kobo-export.csv", PNG), "source": "kobo"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "kobo-export.csv seems to be a picture (PNG), not submissions downloaded" in page
    assert "not UTF-8" not in page and "Windows-1252" not in page
    assert not PendingImport.objects.exists()
