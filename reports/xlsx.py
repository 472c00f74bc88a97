"""Workbooks as an office files them: a title row naming the unit and period, Chinese headers
frozen above the rows, an autofilter, column widths, real Excel dates and times (Asia/Shanghai),
and a print set-up (A4 landscape, fit to the page's width, the header row on every page).

Written with openpyxl's write-only mode, row by row to a temporary file, so that a sheet of a
hundred thousand rows costs little memory. Every text cell goes through `text`: a value that
would start a formula (= + - @, and the tab or return before them) is neutralised."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

SHANGHAI = ZoneInfo(settings.TIME_ZONE)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Control characters XML 1.0 cannot carry (openpyxl refuses them).
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
TITLE_FONT = Font(name="宋体", size=14, bold=True)
HEADER_FONT = Font(name="宋体", bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="999999")
HEADER_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
PERCENT = "0.0%"


def text(value):
    """User text safe in a cell: never read as a formula, without characters XML refuses."""
    if not value:
        return value
    if ILLEGAL.search(value):
        value = ILLEGAL.sub("", value)
    if value.startswith(FORMULA_START):
        return "'" + value
    return value


def local(moment):
    """An aware datetime as the naive Asia/Shanghai time Excel shows."""
    return None if moment is None else moment.astimezone(SHANGHAI).replace(tzinfo=None)


class Sheet:
    """One sheet of a write-only workbook: `append` rows (plain values), then `close`."""

    def __init__(self, workbook, *, name, title, columns):
        """`columns`: (header, width in characters) in order."""
        ws = self.ws = workbook.create_sheet(name[:31])
        self.width = len(columns)
        self.rows = 0
        for index, (_header, width) in enumerate(columns, 1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A3"
        ws.print_title_rows = "2:2"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = "9"  # A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        heading = WriteOnlyCell(ws, value=text(str(title)))
        heading.font = TITLE_FONT
        heading.alignment = Alignment(horizontal="center", vertical="center")
        ws.row_dimensions[1].height = 28
        ws.append([heading])
        if self.width > 1:
            ws.merged_cells.add(f"A1:{get_column_letter(self.width)}1")
        headers = []
        for header, _width in columns:
            cell = WriteOnlyCell(ws, value=str(header))
            cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, HEADER_BORDER
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            headers.append(cell)
        ws.append(headers)

    def append(self, row):
        self.ws.append(row)
        self.rows += 1

    def cell(self, value, number_format):
        """A styled cell for `append` (a rate as a percentage)."""
        cell = WriteOnlyCell(self.ws, value=value)
        cell.number_format = number_format
        return cell

    def close(self):
        self.ws.auto_filter.ref = f"A2:{get_column_letter(self.width)}{self.rows + 2}"


def workbook():
    book = Workbook(write_only=True)
    book.properties.creator = str(settings.SITE_NAME)
    book.properties.created = datetime.now(SHANGHAI).replace(tzinfo=None)
    return book
