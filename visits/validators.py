"""Checks and masks for a household's personal data: mainland phone numbers and the
18-character resident identity number (GB 11643, check digit by ISO 7064 MOD 11-2)."""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area code 0xx or 0xxx, a 7- or 8-digit number, an optional extension.
LANDLINE = re.compile(r"^0\d{2,3}-?[2-9]\d{6,7}(-\d{1,6})?$")
ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def normalize_phone(value):
    return re.sub(r"[\s()（）]", "", value or "")


def validate_phone(value):
    if value and not (MOBILE.match(value) or LANDLINE.match(value)):
        raise ValidationError(
            _("Enter an 11-digit mobile number (e.g. 13812345678) or a landline with its area code "
              "(e.g. 0769-22123456)."),
            code="phone",
        )


def id_check_digit(first17):
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(value):
    if not value:
        return
    message = _("Enter the 18-character resident ID number; this one is malformed or its last character "
                "does not match.")
    if not ID_NUMBER.match(value) or id_check_digit(value[:17]) != value[17]:
        raise ValidationError(message, code="id_number")
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(message, code="id_number")


def mask_phone(value):
    """138****5678; a landline keeps its area code and last four digits."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * (len(value) - 2) + value[-2:]
    if MOBILE.match(value):
        return f"{value[:3]}****{value[-4:]}"
    head = value.split("-", 1)[0] + "-" if "-" in value else value[:4]
    return head + "*" * max(len(value) - len(head) - 4, 4) + value[-4:]


def mask_name(value):
    """王**: the family name only."""
    return value[:1] + "*" * max(len(value) - 1, 1) if value else ""


def mask_id_number(value):
    """The first three and last four characters."""
    if not value:
        return ""
    return value[:3] + "*" * max(len(value) - 7, 4) + value[-4:]
