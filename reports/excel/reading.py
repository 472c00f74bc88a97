"""Reading an import's .xlsx: the first sheet's filled rows below the header row that names the
template's columns (a title row above it is fine; required columns are marked * in the template).

The file is untrusted: its size, what it unpacks to and how many rows it has are bounded before
and while openpyxl reads it (read-only), so a renamed text file, a zip bomb, an empty file or a
sheet of a hundred thousand blank rows each get a message (FileRefused), never a hang or a memory
blow-up."""

import io
import zipfile
from datetime import date, datetime

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# What the .xlsx may unpack to, and how much more than its packed size any part may be: a
# spreadsheet's XML packs about 10:1, a zip bomb a thousand times that.
MAX_UNPACKED = 200 * 1024 * 1024
MAX_RATIO = 200
# Blank rows read past the last filled one before the reading stops: a sheet "used" down to
# row 1,048,576 is read no further than this.
MAX_BLANK_RUN = 200_000
HEADER_ROWS = 5


class FileRefused(Exception):
    """The file as a whole cannot be imported; the message says why."""


def _refuse_unsafe(content):
    if not content:
        raise FileRefused(_("The file is empty."))
    if len(content) > settings.IMPORT_MAX_BYTES:
        raise FileRefused(_("The file is larger than %(size)s; split it into smaller files.") % {
            "size": filesizeformat(settings.IMPORT_MAX_BYTES)})
    not_xlsx = _("This is not an Excel workbook (.xlsx). Save the file as .xlsx, from the template.")
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise FileRefused(not_xlsx)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FileRefused(not_xlsx) from None
    if "xl/workbook.xml" not in {part.filename for part in parts}:
        raise FileRefused(not_xlsx)
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_UNPACKED or any(
            part.file_size > MAX_RATIO * max(part.compress_size, 1) and part.file_size > 1024 * 1024 for part in parts):
        raise FileRefused(_("The file unpacks to far more than a spreadsheet of this size can hold; it is refused."))


def _cell(value):
    """A cell's value as text or a date; whole numbers typed as numbers lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read(content, columns):
    """[(sheet row, {column name: value})] of the first sheet's filled rows below the header."""
    from openpyxl import load_workbook

    _refuse_unsafe(content)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise FileRefused(_("The workbook cannot be read: it is damaged or not an .xlsx file.")) from None
    try:
        names = [str(c.name) for c in columns]
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise FileRefused(_("The workbook has no sheet."))
        header, positions, rows, blank_run = None, {}, [], 0
        try:
            iterator = sheet.iter_rows(max_col=len(columns) + 10, values_only=True)
            for number, values in enumerate(iterator, 1):
                values = [_cell(v) for v in values]
                if header is None:
                    # The template marks required columns with *: the name is what is left.
                    marked = [v.rstrip("*＊ ") if isinstance(v, str) else v for v in values]
                    if names[0] in marked or names[1] in marked:
                        header = number
                        positions = _header(marked, names)
                    elif number >= HEADER_ROWS:
                        break
                    continue
                if not any(values):
                    blank_run += 1
                    if blank_run > MAX_BLANK_RUN:
                        break
                    continue
                blank_run = 0
                rows.append((number, {name: values[i] if i < len(values) else "" for name, i in positions.items()}))
                if len(rows) > settings.IMPORT_MAX_ROWS:
                    raise FileRefused(_("The file has more than %(n)d filled rows; split it into smaller files.")
                                      % {"n": settings.IMPORT_MAX_ROWS})
        except FileRefused:
            raise
        except Exception:
            raise FileRefused(_("The workbook cannot be read: it is damaged or not an .xlsx file.")) from None
        if header is None:
            raise FileRefused(_("No header row with the template's column names (%(names)s) in the first %(n)d rows. "
                                "Use the template downloaded from this page.") % {
                                    "names": "、".join(names), "n": HEADER_ROWS})
    finally:
        book.close()
    if not rows:
        raise FileRefused(_("The sheet has no filled rows below its header."))
    return rows


def _header(values, names):
    """{column name: index}; a missing or blank header cell (merged cells leave blanks) refuses the file."""
    positions = {}
    for index, value in enumerate(values):
        if value in names and value not in positions:
            positions[value] = index
    missing = [name for name in names if name not in positions]
    if missing:
        raise FileRefused(_("The header row lacks the column(s) %(names)s. Keep one header cell per column, as in "
                            "the template: no merged or renamed header cells.") % {"names": "、".join(missing)})
    return positions
