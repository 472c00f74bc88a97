"""Workbooks as an office files and prints them: a title row naming the unit and period, Chinese
headers frozen above the rows, an autofilter, column widths, real Excel dates and times
(Asia/Shanghai), and a print set-up for A4 landscape that reads at 8 pt or more.

A sheet narrow enough is fitted to the page's width. A wider one prints at WIDE_SCALE across
several pages, broken between columns, each page repeating the header row and the first
(`keys`) columns, page by page across then down. Every page's footer names the sheet and
numbers the page (第 1 页 / 共 9 页). Wrapped text (headers, long text columns) gets the row
height it needs: a spreadsheet keeps a written height and recomputes none, so a row left at the
default height shows the first line of a paragraph and hides the rest.

Written with openpyxl's write-only mode, row by row to a temporary file, so that a sheet of a
hundred thousand rows costs little memory.

Every cell a sheet writes goes through one writer (`Sheet._safe`), whatever its column: the
title, the headers, each row's cells (plain values and styled cells alike) and the lines below.
A text a spreadsheet would read as a formula or an error (starting with = + - @, their
full-width forms, a tab or a return, as OWASP lists them; or an error code such as #REF!) is
written as text with Excel's quote prefix: shown as written, never evaluated, and still text when
the cell is edited. Characters XML cannot carry are dropped."""

import math
import re
import unicodedata
from copy import copy
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break

SHANGHAI = ZoneInfo(settings.TIME_ZONE)
# Control characters XML 1.0 cannot carry (openpyxl refuses them).
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# A text a spreadsheet would not keep as text: a formula's start (= + - @, full-width too, and the
# tab or return before them), an error code, or a character XML refuses. One search a text cell.
UNSAFE = re.compile(r"^[=+\-@\t\r＝＋－＠]|^#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A)$"
                    r"|[\x00-\x08\x0b\x0c\x0e-\x1f]")
# What a sheet's name may not hold (Excel's rule).
NOT_IN_SHEET_NAME = re.compile(r"[\\/?*\[\]:]")
# openpyxl's default font (Calibri 11): every cell written as a plain value has it.
BODY_SIZE = 11
TITLE_SIZE = 14
TITLE_FONT = Font(name="宋体", size=TITLE_SIZE, bold=True)
HEADER_FONT = Font(name="宋体", size=BODY_SIZE, bold=True)
TOTAL_FONT = Font(name="Calibri", size=BODY_SIZE, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="999999")
HEADER_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
PERCENT = "0.0%"

# The page. Widths in points; the margins in inches, as the file keeps them.
A4_LANDSCAPE_WIDTH = 841.89
MARGINS = PageMargins(left=0.3, right=0.3, top=0.5, bottom=0.6, header=0.2, footer=0.25)
PRINTABLE_WIDTH = A4_LANDSCAPE_WIDTH - 72 * (MARGINS.left + MARGINS.right)
# One character of column width, printed: LibreOffice's 5.55 pt (measured; Excel's 7 px, 5.25 pt,
# is narrower, so a sheet fitted by this measure prints at least as large in Excel).
COLUMN_POINTS = 5.55
SMALLEST_PRINTED = 8
# LibreOffice fits a sheet of a thousand rows or more up to 2 % smaller than it needs (measured).
LONG_SHEET_SHRINK = 0.02
# Wide sheets: 11 pt printed at 80 % reads at 8.8 pt.
WIDE_SCALE = 80
# A line of 11-pt text, Chinese fonts' ascent and descent included, and the row's padding.
LINE_POINTS = 15.5
ROW_PADDING = 3
MAX_ROW_HEIGHT = 409  # Excel's limit


class Column(NamedTuple):
    header: str
    width: float  # in characters, as Excel counts them
    wrap: bool = False  # long text: wrapped, and the row made as tall as it needs
    center: bool = False  # a mark (√ ×), centred
    joined: bool = False  # printed on the page of the column before it (a metric's figures stay together)


def _keep_as_text(cell):
    """Stored as text with Excel's quote prefix: shown as written, never evaluated."""
    cell.data_type = "s"
    cell.quotePrefix = True


def local(moment):
    """An aware datetime as the naive Asia/Shanghai time Excel shows."""
    return None if moment is None else moment.astimezone(SHANGHAI).replace(tzinfo=None)


def file_name(name):
    """A name safe as a file's (an English period label holds a slash)."""
    return re.sub(r'[\\/:*?"<>|]', "-", name)


def _char_width(char):
    """A character's width in characters of column width: Chinese characters count two."""
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def lines(value, width, size=BODY_SIZE):
    """How many lines `value` takes wrapped in a column `width` characters wide, at `size` pt:
    Chinese text breaks between any two characters, other text between words."""
    room = max(width - 1, 1) * BODY_SIZE / size  # a character's worth of the cell is its padding
    value = str(value)
    if len(value) * 2 <= room and "\n" not in value:
        return 1
    if " " not in value and "\n" not in value:
        # Chinese text, counted fast (a long ledger has a paragraph a row): in UTF-8 a Chinese
        # character takes three bytes and counts two, an ASCII one takes one and counts one. A
        # line may end a character short, as the next is wider than the room left.
        units = (len(value.encode()) + len(value)) / 2
        return max(1, math.ceil(units / (room - 1)))
    count = 0
    for paragraph in value.split("\n"):
        count += 1
        used = 0
        for word in re.findall(r"[^\s\u1100-\uffff]+\s*|\s|.", paragraph):
            need = sum(_char_width(char) for char in word)
            if used + need > room and used:
                count += 1
                used = 0
            while need > room:  # a word longer than the line is cut
                count += 1
                need -= room
            used += need
    return count


def fitted_scale(width):
    """The scale a sheet `width` characters wide prints at, fitted to the page's width: a whole
    percentage, rounded down, as Excel and LibreOffice take it."""
    return min(100, math.floor(100 * PRINTABLE_WIDTH / (width * COLUMN_POINTS))) / 100


def height(line_count, size=BODY_SIZE):
    return min(line_count * LINE_POINTS * size / BODY_SIZE + ROW_PADDING, MAX_ROW_HEIGHT)


class Sheet:
    """One sheet of a write-only workbook: `append` the table's rows (plain values), `below`
    the lines under the table (totals, signatures), then `close`."""

    def __init__(self, workbook, *, name, title, columns, keys=1):
        """`columns`: Column (or (header, width[, wrap]) tuples) in order; `keys`: how many first
        columns name a row, repeated on every page of a sheet too wide for one."""
        self.columns = [Column(*column) for column in columns]
        ws = self.ws = workbook.create_sheet(NOT_IN_SHEET_NAME.sub("-", name)[:31])
        self.width = len(self.columns)
        self.rows = 0
        self.below_rows = 0
        widths = [column.width for column in self.columns]
        for index, width in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A3"
        first_page = self.first_page = self._print_setup(widths, keys, str(title))
        self.first_page_width = sum(widths[:first_page])
        # One styled cell per wrapped or centred column, given each row's value in turn: a
        # write-only sheet writes a row as it is appended, and a new styled cell a row would
        # cost a ledger a tenth of its speed.
        self._styled = []
        for index, column in enumerate(self.columns):
            if column.wrap or column.center:
                cell = WriteOnlyCell(ws)
                cell.alignment = Alignment(wrap_text=column.wrap, horizontal="center" if column.center else None)
                # The room `lines` finds a line of text fits in, to skip it for a short text.
                self._styled.append((index, column, cell, max(column.width - 1, 1)))

        heading = self.text_cell(str(title))
        heading.font = TITLE_FONT
        heading.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        title_lines = lines(heading.value, self.first_page_width, TITLE_SIZE)
        ws.row_dimensions[1].height = max(28, height(title_lines, TITLE_SIZE))
        ws.append([heading])
        if first_page > 1:
            ws.merged_cells.add(f"A1:{get_column_letter(first_page)}1")
        headers = []
        for column in self.columns:
            cell = self.text_cell(str(column.header))
            cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, HEADER_BORDER
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            headers.append(cell)
        ws.row_dimensions[2].height = height(max(lines(column.header, column.width) for column in self.columns))
        ws.append(headers)

    def _print_setup(self, widths, keys, title):
        """A4 landscape, the header row on every page, page numbers; fitted to the page's width
        if it then reads at SMALLEST_PRINTED or more, else printed at WIDE_SCALE with the page
        breaks between columns. Returns how many columns the first page holds."""
        ws = self.ws
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = "9"  # A4
        ws.page_margins = copy(MARGINS)
        ws.print_options.horizontalCentered = True
        ws.print_options.gridLines = True
        ws.print_title_rows = "2:2"
        footer = ws.oddFooter
        footer.left.text, footer.left.size = title.replace("&", "&&"), BODY_SIZE
        footer.right.text, footer.right.size = _("Page &P of &N"), BODY_SIZE
        if BODY_SIZE * (fitted_scale(sum(widths)) - LONG_SHEET_SHRINK) >= SMALLEST_PRINTED:
            ws.page_setup.fitToWidth = 1
            ws.page_setup.fitToHeight = 0
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            return len(widths)
        ws.page_setup.scale = WIDE_SCALE
        ws.page_setup.pageOrder = "overThenDown"
        ws.print_title_cols = f"A:{get_column_letter(keys)}"
        room = PRINTABLE_WIDTH / (COLUMN_POINTS * WIDE_SCALE / 100)
        used, page_start, breaks = 0, 0, []
        for index, width in enumerate(widths):
            if used + width > room and index > keys:
                # Back to the start of the column's group, unless the group fills the page alone.
                start = next(i for i in range(index, -1, -1) if not self.columns[i].joined)
                start = start if start > max(page_start, keys) else index
                breaks.append(start)
                page_start = start
                used = sum(widths[:keys]) + sum(widths[start:index])
            used += width
        for index in breaks:
            ws.col_breaks.append(Break(id=index))
        return breaks[0] if breaks else len(widths)

    def text_cell(self, value):
        """The one writer of text: a cell holding `value` without the characters XML refuses and,
        when a spreadsheet would evaluate it (a formula's start, an error code), kept as text
        with the quote prefix, shown as written."""
        if ILLEGAL.search(value):
            value = ILLEGAL.sub("", value)
        cell = WriteOnlyCell(self.ws, value=value)
        if UNSAFE.search(value):
            _keep_as_text(cell)
        return cell

    def _safe(self, row):
        """The row with each text a spreadsheet would evaluate, or that XML refuses, written by
        `text_cell`, whatever its column; a styled cell holding such a text kept as text too.
        Returns the row and the indexes of the cells made."""
        made = ()
        for index, value in enumerate(row):
            if value.__class__ is str:
                if UNSAFE.search(value):
                    row[index] = self.text_cell(value)
                    made += (index,)
            elif isinstance(value, Cell) and value.value.__class__ is str and UNSAFE.search(value.value):
                _keep_as_text(value)
        return row, made

    def append(self, row):
        """A row of the table: its long text wrapped, and the row as tall as that text."""
        tall = 1
        row, made = self._safe(list(row))
        for index, column, cell, room in self._styled:
            value = row[index]
            own = index in made  # a text cell of this row's own, made safe
            if own:
                value = value.value
            if isinstance(value, str) and value:
                if column.wrap:
                    need = 1 if len(value) * 2 <= room and "\n" not in value else lines(value, column.width)
                    if need == 1 and not own:
                        continue  # a line of text needs no wrapping, and a plain cell is quicker
                    if need > tall:
                        tall = need
                if own:
                    row[index]._style.alignmentId = cell._style.alignmentId  # the column's alignment
                else:
                    cell.value = value
                    row[index] = cell
        number = self.rows + 3
        if tall > 1:
            # The row's attributes as the writer reads them, without building a RowDimension
            # (a ledger has a tall row nearly every row); dropped once written, to keep a long
            # sheet's memory flat.
            dict.__setitem__(self.ws.row_dimensions, number, {"ht": str(height(tall)), "customHeight": "1"})
        self.ws.append(row)
        if tall > 1:
            del self.ws.row_dimensions[number]
        self.rows += 1

    def cell(self, value, number_format):
        """A styled cell for `append` (a rate as a percentage)."""
        cell = self.text_cell(value) if isinstance(value, str) else WriteOnlyCell(self.ws, value=value)
        cell.number_format = number_format
        return cell

    def total(self, value, number_format=None):
        """A cell of a total row, in bold."""
        cell = self.text_cell(value) if isinstance(value, str) else WriteOnlyCell(self.ws, value=value)
        cell.font = TOTAL_FONT
        if number_format:
            cell.number_format = number_format
        return cell

    def below(self, row=()):
        """A line under the table, outside its autofilter (a total, a legend, a signature);
        after the last `append`."""
        self.ws.append(self._safe(list(row))[0])
        self.below_rows += 1

    def note(self, value, *, signature=False):
        """A line of text under the table, across the first page's width: a legend, or the
        line to sign on (with the room a signature takes)."""
        number = self.rows + self.below_rows + 3
        cell = self.text_cell(str(value))
        cell.alignment = Alignment(wrap_text=True, vertical="bottom" if signature else "top")
        tall = height(lines(cell.value, self.first_page_width))
        self.ws.row_dimensions[number].height = max(tall, 40) if signature else tall
        self.ws.append([cell])
        if self.first_page > 1:
            self.ws.merged_cells.add(f"A{number}:{get_column_letter(self.first_page)}{number}")
        self.below_rows += 1

    def close(self):
        self.ws.auto_filter.ref = f"A2:{get_column_letter(self.width)}{self.rows + 2}"


def workbook():
    book = Workbook(write_only=True)
    book.properties.creator = str(settings.SITE_NAME)
    book.properties.created = datetime.now(SHANGHAI).replace(tzinfo=None)
    return book


def printed_scale(ws):
    """The scale a sheet (read back by openpyxl) prints at: its fixed scale, or its fit to the
    page's width by the measure above."""
    if ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage:
        return fitted_scale(sum(ws.column_dimensions[get_column_letter(i)].width or 8.43
                                for i in range(1, ws.max_column + 1)))
    return (ws.page_setup.scale or 100) / 100
