"""Field data at scale: time and peak memory of imports, exports, XLSForm and the API.

For each size N, in a throwaway SQLite database in a temporary folder, one organisation gets N
participants whose consent to the interview and to the organisation's own reporting is in
force; a KoboToolbox API v2 JSON download and a Kobo CSV export with one submission of the
empowerment interview (``empowerment-interview@2.0``) per participant are generated, and then
these steps are timed, in this order:

* ``read JSON`` / ``read CSV``: ``read_submissions`` (the file into raw rows);
* ``interpret JSON``: ``interpret`` (every value checked and converted; pure, no database);
* ``dry run JSON`` / ``dry run CSV``: ``run_import(dry_run=True)`` — reading, checking,
  matching participants and saving every assessment inside a transaction that is rolled back;
* ``import JSON``: the real import (all N added);
* ``re-import JSON`` / ``re-import CSV``: the same files again (all N skipped as imported);
* ``export … CSV/XLSX/SAV``: ``make_export`` of the assessments dataset for own reporting
  (query, table, file); also ``export HTCDS CSV`` (one row per participant) and
  ``export totals HXL`` (aggregates with disclosure control);
* ``XLSForm export``, ``pyxform convert``, ``XLSForm import``: the form written by
  ``xlsform_bytes``, converted to an XForm by pyxform, and read back by ``read_xlsform``
  (independent of N);
* ``API …``: one page of 100 records (``?page_size=100``) of ``/api/assessments/`` (first
  and last page), ``/api/participants/`` and ``/api/scores/`` through Django's test client,
  authenticated by an analyst's API key (``Authorization: Token …``).

    .venv/bin/python benchmarks/fieldwork_benchmark.py                     # 1,000 and 10,000
    .venv/bin/python benchmarks/fieldwork_benchmark.py --sizes 1000 --no-memory
    .venv/bin/python benchmarks/fieldwork_benchmark.py --sizes 50000 --import-only
    .venv/bin/python benchmarks/fieldwork_benchmark.py --sizes 1000 --no-memory \
        --profile "import JSON" "re-import JSON" "export totals HXL"
    .venv/bin/python benchmarks/fieldwork_benchmark.py --markdown          # README table

The submissions are drawn with a fixed seed: ladder ratings 1–10 around the middle (3 %
"prefer not to say"), two to five of the nine factors talked about with an effect on each
axis (some "does not apply" or "prefer not to say") and a note in the interview's language for
two in five, zero to three services with their conditions and effects, interview dates over
the last two years, languages en/bn/my. Field names and group paths come from the XLSForm
Empower writes (``ladder/rating__healing``), metadata as KoboToolbox writes it (``_uuid``,
``meta/instanceID``, ``_submission_time`` …); the CSV is Kobo's export (semicolons, every value
quoted; no services, as a CSV holds no repeat groups). Generating data is not timed.

Each size runs in a fresh child process (so that one size's caches and memory never carry into
the next). Timing: ``time.perf_counter``, best of up to ``--runs`` runs of a step (default 3),
a step that takes more than 5 s is run once; the import itself runs once. Queries: the number
of SQL statements a step sends (from a ``connection.execute_wrapper``). Peak memory: a second
child process runs the same steps once under ``tracemalloc`` and reports, per step, the peak of
Python allocations above what was held when the step began (SQLite's own C allocations are not
traced); the process's maximum resident set size is reported too.

Sanity check (printed; the exit code is 1 on a mismatch): every submission read with no
errors, as many services as were generated, nothing left after a dry run, N assessments,
4·N axis scores and N import records after the import, N skipped on each re-import, N rows in
the CSV, XLSX and SAV files (the SAV read back with pyreadstat), the sum and count of the healing
ladder ratings in the CSV and SAV equal to those generated, pyxform without warnings, and the
API's record count equal to N.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import csv
import io
import json
import os
import pstats
import random
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

INSTRUMENT_KEY = "empowerment-interview@2.0"
SLUG = "bench"
API_PAGE = 100
SLOW_STEP = 5.0  # seconds: a step slower than this is not repeated
SEED = 2026
LANGUAGES = ("en", "bn", "my")
LANGUAGE_WEIGHTS = (0.40, 0.35, 0.25)
NOTES = {
    "en": ["My mother took me back home, but my uncle still says it was my fault.",
           "The broker's people came to the village twice; I stopped going to the market.",
           "The training helped, but the loan for the shop worries me every night."],
    "bn": ["আমার মা আমাকে আবার ঘরে নিয়েছেন",
           "দালালের লোকেরা দুবার গ্রামে এসেছিল; আমি বাজারে যাওয়া বন্ধ করেছি।",
           "প্রশিক্ষণ কাজে লেগেছে, কিন্তু দোকানের ঋণ নিয়ে প্রতি রাতে চিন্তা হয়।"],
    "my": ["အမေက ကျွန်မကို အိမ်ပြန်ခေါ်ခဲ့တယ်။",
           "ပွဲစားရဲ့လူတွေ ရွာကို နှစ်ခါ လာခဲ့တယ်၊ ဈေးကို မသွားတော့ဘူး။",
           "သင်တန်းက အကူအညီဖြစ်ခဲ့ပေမဲ့ ဆိုင်အတွက် ချေးငွေက ညတိုင်း စိတ်ပူစေတယ်။"],
}
IMPORT_STEPS = ("read JSON", "read CSV", "interpret JSON", "dry run JSON", "dry run CSV",
                "import JSON", "re-import JSON", "re-import CSV")
#: Steps whose work does not grow with N: rows per second is not given for them.
FIXED_STEPS = ("XLSForm export", "pyxform convert", "XLSForm import")


# --------------------------------------------------------------------------- results


@dataclass
class StepResult:
    name: str
    rows: int
    seconds: float | None = None
    runs: int = 0
    queries: int | None = None
    peak_bytes: int | None = None


@dataclass
class SizeResult:
    size: int
    setup_seconds: float = 0.0
    json_bytes: int = 0
    csv_bytes: int = 0
    max_rss_kib: int = 0
    steps: list[StepResult] = field(default_factory=list)
    checks: dict[str, list[Any]] = field(default_factory=dict)  # name -> [measured, expected]
    skipped: list[str] = field(default_factory=list)
    api_auth: str = ""


# --------------------------------------------------------------------------- Django


def start_django(folder: Path) -> None:
    """Point Django at a fresh SQLite database in ``folder`` and create the tables."""
    os.environ["EMPOWER_VAR_DIR"] = str(folder)
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    # A key of our own, so that nothing reads or writes the developer's key file.
    os.environ["EMPOWER_DATA_KEY"] = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    os.environ["EMPOWER_SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["DJANGO_SETTINGS_MODULE"] = "empower.web.settings"
    os.environ.pop("EMPOWER_DEBUG", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


class QueryCounter:
    """Counts the SQL statements sent while installed (``connection.execute_wrapper``)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


# --------------------------------------------------------------------------- the data


@dataclass
class Generated:
    codes: list[str]
    uuids: list[str]
    json_bytes: bytes
    csv_bytes: bytes
    services: int
    healing_sum: int
    healing_count: int
    healing_not_said: int


def field_paths() -> tuple[dict[str, str], list[str]]:
    """Item id -> its path in a submission (``ladder/rating__healing``), read from the survey
    sheet of the XLSForm Empower writes, and the fields of the services repeat."""
    from empower.instruments import get_instrument
    from empower.instruments.xlsform import xlsform_workbook

    book = xlsform_workbook(get_instrument(*INSTRUMENT_KEY.split("@")))
    rows = list(book["survey"].iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    kind_at, name_at = header.index("type"), header.index("name")
    groups: list[str] = []
    paths: dict[str, str] = {}
    repeat_fields: list[str] = []
    in_repeat = False
    for row in rows[1:]:
        kind, name = str(row[kind_at] or ""), str(row[name_at] or "")
        if kind == "begin_group":
            groups.append(name)
        elif kind == "end_group":
            groups.pop()
        elif kind == "begin_repeat":
            in_repeat = True
        elif kind == "end_repeat":
            in_repeat = False
        elif in_repeat:
            repeat_fields.append(name)
        elif name:
            paths[name] = "/".join([*groups, name])
    return paths, repeat_fields


def participant_codes(rng: random.Random, n: int) -> list[str]:
    from empower.web.people.models import CODE_ALPHABET, CODE_LENGTH

    codes: set[str] = set()
    while len(codes) < n:
        codes.add("P-" + "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))
    ordered = sorted(codes)
    rng.shuffle(ordered)
    return ordered


def _effect(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.08:
        return "not_applicable"
    if roll < 0.11:
        return "prefer_not_to_say"
    return str(rng.choices((-2, -1, 0, 1, 2), (0.12, 0.2, 0.25, 0.25, 0.18))[0])


def make_submissions(n: int, seed: int) -> Generated:
    """N submissions as KoboToolbox API v2 JSON and as Kobo's CSV export (see the docstring)."""
    from empower.instruments import get_instrument

    instrument = get_instrument(*INSTRUMENT_KEY.split("@"))
    block = instrument.services
    assert block is not None
    axes = instrument.axis_ids()
    factors = [f.id for f in instrument.factors]
    paths, repeat_fields = field_paths()
    rng = random.Random(seed)
    codes = participant_codes(rng, n)
    today = date.today()
    records: list[dict[str, Any]] = []
    csv_rows: list[dict[str, str]] = []
    services_total = healing_sum = healing_count = healing_not_said = 0
    form_uuid = uuid.UUID(int=rng.getrandbits(128), version=4).hex
    for number, code in enumerate(codes):
        submission_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        language = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
        day = today - timedelta(days=rng.randint(1, 730))
        begun = datetime(day.year, day.month, day.day, rng.randint(8, 16), rng.randint(0, 59),
                         rng.randint(0, 59))
        ended = begun + timedelta(minutes=rng.randint(35, 110), seconds=rng.randint(0, 59))
        values: dict[str, str] = {
            "start": begun.isoformat(timespec="milliseconds") + "+06:00",
            "end": ended.isoformat(timespec="milliseconds") + "+06:00",
            "instrument": INSTRUMENT_KEY,
            "participant_code": code,
            "conducted_on": day.isoformat(),
            "interview_language": language,
        }
        for axis in axes:
            if rng.random() < 0.03:
                rating = "prefer_not_to_say"
            else:
                rating = str(min(10, max(1, round(rng.gauss(5.5, 2.0)))))
            values[f"rating__{axis}"] = rating
        if values["rating__healing"] == "prefer_not_to_say":
            healing_not_said += 1
        else:
            healing_sum += int(values["rating__healing"])
            healing_count += 1
        for factor in rng.sample(factors, rng.randint(2, 5)):
            for axis in axes:
                if rng.random() < 0.85:
                    values[f"effect__{factor}__{axis}"] = _effect(rng)
            if rng.random() < 0.4:
                values[f"note__{factor}"] = rng.choice(NOTES[language])
        services = []
        for _ in range(rng.choices((0, 1, 2, 3), (0.3, 0.35, 0.25, 0.1))[0]):
            chosen = rng.sample([str(o.value) for o in block.conditions if o.value != "none"],
                                rng.choices((0, 1, 2), (0.5, 0.35, 0.15))[0])
            service = {
                "service_type": str(rng.choice(block.service_types).value),
                "provider_type": str(rng.choice(block.provider_types).value),
                "respected_wishes": rng.choices(("yes", "no", "prefer_not_to_say", ""),
                                                (0.6, 0.2, 0.1, 0.1))[0],
                "conditions": " ".join(chosen) if chosen else "none",
            }
            for axis in axes:
                service[f"service_effect__{axis}"] = "" if rng.random() < 0.1 else _effect(rng)
            services.append({k: v for k, v in service.items() if k in repeat_fields})
        services_total += len(services)
        submitted = ended + timedelta(hours=rng.randint(1, 72))
        # Kobo's API leaves out questions that were not answered.
        record: dict[str, Any] = {"_id": 412_000_000 + number, "formhub/uuid": form_uuid}
        record |= {paths.get(k, k): v for k, v in values.items() if v}
        if services:
            record["services"] = [{f"services/{k}": v for k, v in s.items() if v}
                                  for s in services]
        record |= {
            "__version__": "vGq5mZ8yHnX3aTzP7wR2cD",
            "meta/instanceID": f"uuid:{submission_id}",
            "meta/rootUuid": f"uuid:{submission_id}",
            "_xform_id_string": "aP7xKqVbN3mZ2wR8tY5uH4",
            "_uuid": submission_id, "_attachments": [], "_status": "submitted_via_web",
            "_geolocation": [None, None],
            "_submission_time": submitted.isoformat(timespec="seconds"),
            "_tags": [], "_notes": [], "_validation_status": {},
            "_submitted_by": f"field_worker_{rng.randint(1, 12)}",
        }
        records.append(record)
        csv_rows.append({
            **{paths.get(k, k): v for k, v in values.items()},
            "meta/instanceID": f"uuid:{submission_id}", "_id": str(record["_id"]),
            "_uuid": submission_id,
            "_submission_time": record["_submission_time"], "_validation_status": "",
            "_notes": "", "_status": "submitted_via_web",
            "_submitted_by": record["_submitted_by"], "__version__": record["__version__"],
            "_tags": "", "_index": str(number + 1),
        })
    document = {"count": n, "next": None, "previous": None, "results": records}
    json_bytes = json.dumps(document, ensure_ascii=False).encode("utf-8")
    header = [paths.get(k, k) for k in ("start", "end", "instrument", "participant_code",
                                        "conducted_on", "interview_language")]
    header += [paths[item.id] for item in instrument.items]
    header += ["meta/instanceID", "_id", "_uuid", "_submission_time", "_validation_status",
               "_notes", "_status", "_submitted_by", "__version__", "_tags", "_index"]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([row.get(h, "") for h in header] for row in csv_rows)
    return Generated(
        codes=codes, uuids=[r["_uuid"] for r in records], json_bytes=json_bytes,
        csv_bytes=out.getvalue().encode("utf-8"), services=services_total,
        healing_sum=healing_sum, healing_count=healing_count,
        healing_not_said=healing_not_said,
    )


def make_organisation(codes: list[str]) -> tuple[Any, Any, Any]:
    """The organisation, an interviewer (who imports) and an analyst (who reads the API);
    one participant per code, with a written consent three years ago to the interview and
    to the organisation's own reporting (bulk-inserted: setting up is not timed)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from empower.web.accounts.models import Membership, Organisation
    from empower.web.people.models import Consent, ConsentDecision, Participant

    given = timezone.now() - timedelta(days=3 * 365)
    with transaction.atomic():
        organisation = Organisation.objects.create(slug=SLUG, name="Benchmark organisation")
        users = []
        for role in ("interviewer", "analyst"):
            user = get_user_model()(username=f"{SLUG}-{role}")
            user.set_unusable_password()
            user.save()
            Membership.objects.create(user=user, organisation=organisation, role=role)
            users.append(user)
        rng = random.Random(SEED + 1)
        people = Participant.objects.bulk_create(
            [Participant(organisation=organisation, code=code,
                         gender=rng.choice(("female", "female", "male", "another")),
                         year_of_birth=rng.randint(1970, 2006),
                         region_of_origin=rng.choice(("Khulna", "Jessore", "Satkhira")),
                         exploitation_types=[rng.choice(("labour_trafficking",
                                                         "sex_trafficking",
                                                         "forced_marriage"))],
                         status=rng.choice(("returned", "just_escaped", "other")))
             for code in codes], batch_size=2000)
        consents = Consent.objects.bulk_create(
            [Consent(participant=p, given_at=given, how_given="written") for p in people],
            batch_size=2000)
        ConsentDecision.objects.bulk_create(
            [ConsentDecision(consent=c, purpose=purpose, agreed=True,
                             wording=f"wording for {purpose}")
             for c in consents for purpose in ("interview", "own_reporting")],
            batch_size=2000)
    return organisation, users[0], users[1]


# --------------------------------------------------------------------------- the steps


class Bench:
    """Runs the steps of one size in one process, timing them or tracing their memory."""

    def __init__(self, size: int, memory: bool, runs: int, import_only: bool) -> None:
        self.size = size
        self.memory = memory
        self.runs = 1 if memory else runs
        self.import_only = import_only
        self.result = SizeResult(size)
        self.kept: dict[str, Any] = {}

    # ---- measuring

    def step(self, name: str, rows: int, work: Callable[[], Any], *, repeat: bool = True,
             keep: bool = False, profile: list[str] | None = None) -> Any:
        from django.db import connection

        result = StepResult(name, rows)
        value = None
        runs = self.runs if repeat else 1
        for run in range(runs):
            counter = QueryCounter()
            value = None  # the previous run's result is not held during this one
            if self.memory:
                tracemalloc.reset_peak()
                before = tracemalloc.get_traced_memory()[0]
            profiler = cProfile.Profile() if profile and name in profile and run == 0 else None
            with connection.execute_wrapper(counter):
                if profiler:
                    profiler.enable()
                began = time.perf_counter()
                value = work()
                seconds = time.perf_counter() - began
                if profiler:
                    profiler.disable()
            if self.memory:
                result.peak_bytes = tracemalloc.get_traced_memory()[1] - before
            if profiler:
                self.print_profile(name, profiler)
            result.seconds = seconds if result.seconds is None else min(result.seconds, seconds)
            result.runs += 1
            if result.queries is None:
                result.queries = counter.count
            if seconds > SLOW_STEP:
                break
        self.result.steps.append(result)
        if keep:
            self.kept[name] = value
        return value

    def print_profile(self, name: str, profiler: cProfile.Profile) -> None:
        print(f"\ncProfile of '{name}', {self.size:,} submissions, by cumulative time")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(35)
        print("by own time")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(25)
        sys.stdout.flush()

    def check(self, name: str, measured: Any, expected: Any) -> None:
        self.result.checks[name] = [measured, expected]

    # ---- the run

    def run(self, profile: list[str] | None = None) -> SizeResult:
        from empower.instruments import library
        from empower.instruments.submissions import interpret, read_submissions
        from empower.web.assessments.models import Assessment, AxisScore
        from empower.web.fieldwork.imports import run_import
        from empower.web.fieldwork.models import ImportedSubmission

        began = time.perf_counter()
        data = make_submissions(self.size, SEED)
        organisation, interviewer, analyst = make_organisation(data.codes)
        self.result.setup_seconds = time.perf_counter() - began
        self.result.json_bytes = len(data.json_bytes)
        self.result.csv_bytes = len(data.csv_bytes)
        n = self.size
        if self.memory:
            tracemalloc.start()

        found = self.step("read JSON", n, lambda: read_submissions(
            data.json_bytes, "data.json", "kobo"), keep=True, profile=profile)
        self.check("JSON submissions read", len(found.submissions), n)
        self.check("JSON read errors", len(found.errors), 0)
        self.check("services read", sum(len(s.services) for s in found.submissions),
                   data.services)
        csv_found = self.step("read CSV", n, lambda: read_submissions(
            data.csv_bytes, "export.csv", "kobo"), profile=profile)
        self.check("CSV submissions read", len(csv_found.submissions), n)
        del csv_found
        reading = self.step("interpret JSON", n, lambda found=found: interpret(
            found, library(), None), profile=profile)
        self.check("interviews without problems",
                   sum(not i.problems for i in reading.interviews), n)
        del reading, found
        self.kept.clear()

        def do_import(raw: bytes, filename: str, dry_run: bool) -> Any:
            return run_import(organisation=organisation, data=raw, filename=filename,
                              source="kobo", user=interviewer, dry_run=dry_run)

        outcome = self.step("dry run JSON", n, lambda: do_import(
            data.json_bytes, "data.json", True), profile=profile)
        self.check("dry run JSON: would add", outcome.to_add, n)
        self.check("dry run JSON: problems", len(outcome.errors), 0)
        outcome = self.step("dry run CSV", n, lambda: do_import(
            data.csv_bytes, "export.csv", True), profile=profile)
        self.check("dry run CSV: would add", outcome.to_add, n)
        self.check("assessments after dry runs", Assessment.objects.count(), 0)
        outcome = self.step("import JSON", n, lambda: do_import(
            data.json_bytes, "data.json", False), repeat=False, profile=profile)
        self.check("import: added", outcome.added, n)
        self.check("assessments", Assessment.objects.count(), n)
        self.check("axis scores", AxisScore.objects.count(), 4 * n)
        self.check("import records", ImportedSubmission.objects.count(), n)
        outcome = self.step("re-import JSON", n, lambda: do_import(
            data.json_bytes, "data.json", False), profile=profile)
        self.check("re-import JSON: skipped", outcome.skipped, n)
        outcome = self.step("re-import CSV", n, lambda: do_import(
            data.csv_bytes, "export.csv", False), profile=profile)
        self.check("re-import CSV: skipped", outcome.skipped, n)
        self.check("assessments after re-imports", Assessment.objects.count(), n)
        del outcome

        if self.import_only:
            self.result.skipped = ["exports", "XLSForm", "API"]
        else:
            self.exports(organisation, data, profile)
            self.xlsform(profile)
            self.api(analyst, profile)
        if self.memory:
            tracemalloc.stop()
        self.result.max_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return self.result

    def exports(self, organisation: Any, data: Generated, profile: list[str] | None) -> None:
        from empower.web.exports.files import make_export

        n = self.size
        for fmt in ("csv", "xlsx", "sav"):
            export = self.step(f"export assessments {fmt.upper()}", n, lambda fmt=fmt: (
                make_export(organisation, "assessments", fmt, "own_reporting")), profile=profile)
            self.check(f"{fmt.upper()} export rows", export.rows, n)
            if not self.memory:
                self.check_file(fmt, export.content, data)
        export = self.step("export HTCDS CSV", n, lambda: make_export(
            organisation, "htcds", "csv", "own_reporting"), profile=profile)
        self.check("HTCDS rows", export.rows, n)
        export = self.step("export totals HXL", n, lambda: make_export(
            organisation, "aggregates", "hxl", "own_reporting"), profile=profile)
        self.result.steps[-1].rows = n  # totals over N assessments
        del export

    def check_file(self, fmt: str, content: bytes, data: Generated) -> None:
        """Read the written file back (not timed) and compare with what was generated."""
        if fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
            ratings = [r["rating__healing"] for r in rows]
            numbers = [int(v) for v in ratings if v.lstrip("-").isdigit()]
            self.check("CSV rows read back", len(rows), self.size)
            self.check("CSV healing: sum", sum(numbers), data.healing_sum)
            self.check("CSV healing: prefer not to say", ratings.count("prefer_not_to_say"),
                       data.healing_not_said)
        elif fmt == "xlsx":
            from openpyxl import load_workbook

            book = load_workbook(io.BytesIO(content), read_only=True)
            self.check("XLSX rows read back", book.worksheets[0].max_row - 1, self.size)
            book.close()
        else:
            import pyreadstat

            with tempfile.NamedTemporaryFile(suffix=".sav") as handle:
                handle.write(content)
                handle.flush()
                frame, _meta = pyreadstat.read_sav(handle.name, user_missing=False)
            healing = frame["rating__healing"].dropna()
            self.check("SAV rows read back", len(frame), self.size)
            self.check("SAV healing: sum", int(healing.sum()), data.healing_sum)
            self.check("SAV healing: count", int(healing.count()), data.healing_count)

    def xlsform(self, profile: list[str] | None) -> None:
        from pyxform.xls2xform import convert

        from empower.instruments import get_instrument
        from empower.instruments.xlsform import read_xlsform, xlsform_bytes

        instrument = get_instrument(*INSTRUMENT_KEY.split("@"))
        form = self.step("XLSForm export", 1, lambda: xlsform_bytes(instrument),
                         profile=profile)
        warnings: list[str] = []

        def to_xform() -> Any:
            warnings.clear()
            return convert(form, warnings=warnings, file_type=".xlsx")

        result = self.step("pyxform convert", 1, to_xform, profile=profile)
        self.check("pyxform warnings", len(warnings), 0)
        self.check("XForm has the participant code", "participant_code" in result.xform, True)
        back = self.step("XLSForm import", 1, lambda: read_xlsform(form, "form.xlsx"),
                         profile=profile)
        self.check("XLSForm read back: items", len(back.instrument.items),
                   len(instrument.items))

    def api(self, analyst: Any, profile: list[str] | None) -> None:
        from django.db import DatabaseError
        from django.test import Client

        from empower.web.api.authentication import issue_key

        try:
            key = issue_key(analyst, via="benchmark")
            client = Client(HTTP_AUTHORIZATION=f"Token {key}")
            self.result.api_auth = "API key"
        except DatabaseError as error:
            # The key's table may be missing while its migration is being written: measure
            # the same pages through a logged-in session rather than not at all.
            client = Client()
            client.force_login(analyst)
            self.result.api_auth = f"session (no key: {error})"
        n = self.size
        last = (n + API_PAGE - 1) // API_PAGE
        pages = [
            ("API assessments page 1", f"/api/assessments/?page_size={API_PAGE}",
             min(API_PAGE, n)),
            ("API assessments last page", f"/api/assessments/?page_size={API_PAGE}&page={last}",
             n - (last - 1) * API_PAGE),
            ("API participants page 1", f"/api/participants/?page_size={API_PAGE}",
             min(API_PAGE, n)),
            ("API scores page 1", f"/api/scores/?page_size={API_PAGE}", min(API_PAGE, 4 * n)),
        ]
        counts = {"API assessments page 1": n, "API assessments last page": n,
                  "API participants page 1": n, "API scores page 1": 4 * n}
        for name, url, rows in pages:
            response = self.step(name, rows, lambda url=url: client.get(url), profile=profile)
            body = response.json() if response.status_code == 200 else {}
            self.check(f"{name}: status", response.status_code, 200)
            self.check(f"{name}: count", body.get("count"), counts[name])
            self.check(f"{name}: records", len(body.get("results", [])), rows)


# --------------------------------------------------------------------------- processes


def child(args: argparse.Namespace) -> int:
    """One size, in this process: set up, run, write the result as JSON."""
    with tempfile.TemporaryDirectory(prefix="empower-bench-") as folder:
        start_django(Path(folder))
        bench = Bench(args.child, args.memory, args.runs, args.import_only)
        result = bench.run(profile=args.profile)
    Path(args.out).write_text(json.dumps(asdict(result)))
    return 0


def run_child(size: int, memory: bool, args: argparse.Namespace) -> SizeResult:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = handle.name
    command = [sys.executable, __file__, "--child", str(size), "--out", out,
               "--runs", str(args.runs)]
    if memory:
        command.append("--memory")
    if args.import_only or size > args.full_up_to:
        command.append("--import-only")
    if args.profile and not memory:
        command += ["--profile", *args.profile]
    began = time.perf_counter()
    try:
        completed = subprocess.run(command, check=False)
        if completed.returncode:
            raise SystemExit(f"the run for {size:,} submissions failed "
                             f"(exit code {completed.returncode})")
        raw = json.loads(Path(out).read_text())
    finally:
        Path(out).unlink(missing_ok=True)
    result = SizeResult(**{**raw, "steps": [StepResult(**s) for s in raw["steps"]]})
    print(f"  {size:,} ({'memory' if memory else 'time'}): "
          f"{time.perf_counter() - began:.0f} s in all", file=sys.stderr)
    return result


def merge(timed: SizeResult, traced: SizeResult | None) -> SizeResult:
    if traced is not None:
        peaks = {s.name: s.peak_bytes for s in traced.steps}
        for step in timed.steps:
            step.peak_bytes = peaks.get(step.name)
        timed.checks |= {f"(memory run) {k}": v for k, v in traced.checks.items()}
    return timed


# --------------------------------------------------------------------------- output


def _mib(value: int | None) -> str:
    return "–" if value is None else f"{value / 2**20:,.1f}"


def _rate(step: StepResult) -> str:
    if step.name in FIXED_STEPS or not step.seconds:
        return "–"
    return f"{step.rows / step.seconds:,.0f}"


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def print_results(results: list[SizeResult], markdown: bool) -> int:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    mismatches = 0
    for r in results:
        wrong = {k: v for k, v in r.checks.items() if v[0] != v[1]}
        mismatches += len(wrong)
        console.print(
            f"{r.size:>7,}: JSON {r.json_bytes / 2**20:.1f} MiB, CSV {r.csv_bytes / 2**20:.1f} "
            f"MiB; set-up {r.setup_seconds:.1f} s; max RSS of the timed run "
            f"{r.max_rss_kib / 1024:,.0f} MiB; {len(r.checks) - len(wrong)} of "
            f"{len(r.checks)} checks agree"
            + (f"; skipped: {', '.join(r.skipped)}" if r.skipped else "")
            + (f"; API read with {r.api_auth}" if r.api_auth else "")
        )
        for name, (measured, expected) in wrong.items():
            console.print(f"         [bold red]MISMATCH[/bold red] {name}: {measured!r}, "
                          f"expected {expected!r}")
    names = list(dict.fromkeys(s.name for r in results for s in r.steps))
    table = Table(title="Field data: seconds (best run), rows per second, SQL statements, "
                        "peak MiB (Python allocations above the step's start)")
    table.add_column("step")
    for r in results:
        for head in ("s", "rows/s", "queries", "MiB"):
            table.add_column(f"{r.size:,} {head}", justify="right")
    for name in names:
        cells = [name]
        for r in results:
            step = next((s for s in r.steps if s.name == name), None)
            if step is None:
                cells += ["–"] * 4
            else:
                cells += [_seconds(step.seconds), _rate(step), f"{step.queries:,}",
                          _mib(step.peak_bytes)]
        table.add_row(*cells)
    console.print(table)
    if markdown:
        heads = ["step"] + [f"{r.size:,}: s · rows/s · MiB" for r in results]
        print("\n| " + " | ".join(heads) + " |")
        print("|" + "---|" * len(heads))
        for name in names:
            cells = [name]
            for r in results:
                step = next((s for s in r.steps if s.name == name), None)
                cells.append("–" if step is None else
                             f"{_seconds(step.seconds)} · {_rate(step)} · "
                             f"{_mib(step.peak_bytes)}")
            print("| " + " | ".join(cells) + " |")
    return 1 if mismatches else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000],
                        help="numbers of participants and submissions")
    parser.add_argument("--runs", type=int, default=3,
                        help="best of this many runs per step (a step over 5 s runs once)")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the second run under tracemalloc")
    parser.add_argument("--import-only", action="store_true",
                        help="time the import steps only (no exports, XLSForm or API)")
    parser.add_argument("--full-up-to", type=int, default=10_000, metavar="N",
                        help="above this size, time the import steps only (default 10,000)")
    parser.add_argument("--profile", metavar="STEP", nargs="+",
                        help="print a cProfile of the first run of these steps, e.g. "
                             "'import JSON'")
    parser.add_argument("--markdown", action="store_true",
                        help="also print the table in Markdown")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        return child(args)
    if any(size < 1 for size in args.sizes):
        parser.error("every size needs at least one submission")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    results = []
    for size in args.sizes:
        timed = run_child(size, False, args)
        traced = None if args.no_memory else run_child(size, True, args)
        results.append(merge(timed, traced))
    return print_results(results, args.markdown)


if __name__ == "__main__":
    sys.exit(main())
