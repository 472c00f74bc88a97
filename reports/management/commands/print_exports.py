"""Print every Excel export, and the import templates, as an officer would: write each from the
seeded demo county, convert it to PDF with LibreOffice headless and render its first page(s) to
PNG, to be looked at. For each file it reports the pages, the scale the sheet prints at and the
smallest type on its first page, measured on the PDF (a Chinese character is as wide as its type
is large).

Needs LibreOffice (Debian's libreoffice-calc-nogui), poppler-utils and, for Excel's column
widths, Calibri's metric twin Carlito (fonts-crosextra-carlito); the tests do not. Run
`seed_demo` first."""

import re
import shutil
import subprocess
import tempfile
import unicodedata
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from openpyxl import load_workbook

from reports.excel import exports, imports, xlsx
from reports.models import AssessmentRound, Unit
from teams.models import County, Membership, Role, User

WORD = re.compile(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>')


def _demo():
    """What each demo user prints: (name, user, export kind or None for a template, filters)."""
    try:
        orgdept, leader = User.objects.get(username="orgdept"), User.objects.get(username="leader")
        admin = User.objects.get(username="admin")
    except User.DoesNotExist:
        raise CommandError("No demo accounts: run `manage.py seed_demo` first.") from None
    county = County.objects.order_by("pk").first()
    team = Membership.objects.filter(user=leader, role=Role.LEADER).order_by("pk").values_list("team", flat=True)[0]
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    round_ = AssessmentRound.objects.filter(county=county).order_by("-start", "-pk").first()
    return [
        ("issues", orgdept, "issues", {}),
        ("visits", orgdept, "visits", {}),
        ("attendance", leader, "attendance", {"team": str(team), "month": f"{last_month:%Y-%m}"}),
        ("dashboard", orgdept, "dashboard", {"unit": Unit.COUNTY, "id": str(county.pk),
                                             "period": f"month:{last_month:%Y-%m}"}),
        ("assessment", orgdept, "assessment", {"round": str(round_.pk)}),
    ] + [(f"template-{kind}", admin, None, kind) for kind in imports.KINDS]


class Command(BaseCommand):
    help = "Write each Excel export from the demo data, print it to PDF with LibreOffice and render its first page."

    def add_arguments(self, parser):
        parser.add_argument("--out", default="test-artifacts/print", help="folder for the .xlsx, .pdf and .png")
        parser.add_argument("--pages", type=int, default=1, help="pages rendered to PNG from each PDF")
        parser.add_argument("--dpi", type=int, default=110)

    def handle(self, *args, out, pages, dpi, **options):
        for tool in ("soffice", "pdftoppm", "pdftotext"):
            if shutil.which(tool) is None:
                raise CommandError(f"{tool} is missing: apt-get install libreoffice-calc-nogui poppler-utils")
        folder = Path(out).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        books = []
        with translation.override("zh-hans"):
            for name, user, kind, data in _demo():
                path = folder / f"{name}.xlsx"
                if kind is None:
                    path.write_bytes(imports.template(data, user))
                else:
                    exports.write(exports.prepare(user, kind, data), path)
                books.append((name, path))
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run(
                ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", "--convert-to",
                 "pdf", "--outdir", str(folder), *(str(path) for _name, path in books)],
                check=True, capture_output=True, timeout=900)
        for name, path in books:
            pdf = path.with_suffix(".pdf")
            count = _pages(pdf)
            for page in range(1, min(pages, count) + 1):
                target = path.with_suffix("") if page == 1 else path.with_name(f"{name}-p{page}")
                subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile",
                                str(pdf), str(target)], check=True, timeout=120)
            scale = xlsx.printed_scale(load_workbook(path).worksheets[0])
            self.stdout.write(f"{name:<20} {count:>4} pages  scale {scale:4.0%}  smallest type "
                              f"{_smallest_type(pdf):4.1f} pt  {path.with_suffix('.png')}")


def _pages(pdf):
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True, timeout=60).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def _smallest_type(pdf):
    """The smallest type on the first page, in points: the width of a word of Chinese
    characters over their number (each is one em wide)."""
    words = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-bbox", str(pdf), "-"], check=True,
                           capture_output=True, text=True, timeout=60).stdout
    sizes = [(float(right) - float(left)) / len(text) for left, right, text in WORD.findall(words)
             if len(text) >= 2 and all(unicodedata.east_asian_width(char) in ("W", "F") for char in text)]
    return min(sizes, default=0)
