"""Every "who may" question is answered by a named function in an app's scope module: a
`Scope`'s raw position id-sets are read there and nowhere else (not in services, views, the
admin, exports, imports or templates), so each rule is written, and changed, in one place."""

import os
import re
from pathlib import Path

from django.conf import settings

RAW = re.compile(r"\b(member_team_ids|leader_team_ids|office_town_ids|department_ids|org_county_ids|is_admin)\b")
SKIPPED_DIRS = {".venv", "migrations", "tests", "node_modules", "__pycache__", ".git"}


def project_files(root):
    """The project's own .py and .html files, tests and migrations left out."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in sorted(files):
            if name.endswith((".py", ".html")):
                yield Path(folder) / name


def test_scope_id_sets_are_read_only_in_scope_modules():
    root = Path(settings.BASE_DIR)
    offenders = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in project_files(root)
        if path.name != "scope.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if RAW.search(line)
    ]
    assert not offenders, "Ask a scope module's named function instead:\n" + "\n".join(offenders)
