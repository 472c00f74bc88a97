"""Every string a user sees has a zh-hans translation: extract the msgids from the whole
project as `makemessages` would, and ask Django's gettext for each in Chinese."""

import ast
import re
import shutil
import subprocess
import sys

import pytest
from django.conf import settings
from django.utils import translation

SKIP_DIRS = (".venv", ".git", "staticfiles", "test-artifacts", "media", "benchmarks", "node_modules", "tests")


def _parse_po(text):
    """(msgctxt, msgid) of each entry of a .po file, header excluded."""
    entries, current, field = [], {}, None
    for line in text.splitlines() + [""]:
        line = line.strip()
        if not line:
            if current.get("msgid"):
                entries.append((current.get("msgctxt"), current["msgid"]))
            current, field = {}, None
        elif line.startswith("#"):
            continue
        elif line.startswith('"') and field:
            current[field] += ast.literal_eval(line)
        else:
            match = re.match(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (\".*\")$", line)
            if match:
                field = match.group(1)
                current[field] = ast.literal_eval(match.group(2))
    return entries


@pytest.fixture(scope="module")
def project_msgids(tmp_path_factory):
    if not shutil.which("xgettext"):
        pytest.fail("gettext is not installed: `make test` installs it (Debian package gettext).")
    copy = tmp_path_factory.mktemp("i18n") / "project"
    shutil.copytree(
        settings.BASE_DIR, copy, ignore=shutil.ignore_patterns(*SKIP_DIRS, "*.po", "*.mo", "db.sqlite3")
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=copy, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "liaison.settings", "HOME": str(copy)},
    )
    assert result.returncode == 0, result.stderr
    msgids = set()
    for po in copy.rglob("django.po"):
        msgids.update(_parse_po(po.read_text(encoding="utf-8")))
    return msgids


def test_every_msgid_has_a_chinese_translation(project_msgids):
    assert len(project_msgids) > 100
    missing = []
    with translation.override("zh-hans"):
        for context, msgid in sorted(project_msgids, key=lambda e: (e[0] or "", e[1])):
            if not re.search(r"[A-Za-z]{2,}", re.sub(r"%\(\w+\)[sd]|\{\w+\}", "", msgid)):
                continue
            text = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
            if text == msgid:
                missing.append(msgid)
    assert not missing, "Untranslated strings:\n" + "\n".join(missing)
