"""The pure packages never import Django, so analysts can use them without the web site."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PURE = ("instruments", "metrics", "evidence", "reports")


def django_imports(path: Path) -> list[str]:
    """Module names starting with ``django`` imported anywhere in the file."""
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [
            f"{path}:{node.lineno} imports {n}"
            for n in names
            if n == "django" or n.startswith("django.")
        ]
    return found


def test_instruments_package_exists():
    assert (SRC / "empower" / "instruments" / "__init__.py").is_file()


@pytest.mark.parametrize("package", PURE)
def test_pure_package_does_not_import_django(package):
    folder = SRC / "empower" / package
    if not folder.is_dir():
        pytest.skip(f"empower.{package} does not exist yet")
    offenders = [hit for path in sorted(folder.rglob("*.py")) for hit in django_imports(path)]
    assert offenders == []


def test_the_checker_sees_django_imports(tmp_path: Path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom django.db import models\nimport django\n", "utf-8")
    assert len(django_imports(sample)) == 2


def test_importing_instruments_loads_no_django():
    code = (
        "import empower.instruments, sys; "
        "assert not any(m.startswith('django') for m in sys.modules), "
        "sorted(m for m in sys.modules if m.startswith('django'))"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])]),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
