import pytest
from django.core.exceptions import ValidationError

from visits.validators import mask_id_number, mask_phone, validate_id_number, validate_phone


@pytest.mark.parametrize("value", ["13912345678", "19800001111", "0769-22123456", "075222123456", "010-62345678-123"])
def test_accepts_mainland_phones(value):
    validate_phone(value)


@pytest.mark.parametrize("value", ["12912345678", "1391234567", "139123456789", "22123456", "0769-0123456", "abc"])
def test_refuses_malformed_phones(value):
    with pytest.raises(ValidationError):
        validate_phone(value)


def test_accepts_an_id_number_with_its_check_digit():
    validate_id_number("441322195001010025")
    validate_id_number("11010519491231002X")


@pytest.mark.parametrize(
    "value",
    [
        "441322195001010026",  # wrong check digit
        "44132219500101002",  # 17 characters
        "441322195013010027",  # month 13
        "44132219500101002x",  # lower-case x is normalised by the service, not here
    ],
)
def test_refuses_malformed_id_numbers(value):
    with pytest.raises(ValidationError):
        validate_id_number(value)


def test_masks_keep_only_what_identifies_the_row():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0769-22123456") == "0769-****3456"
    assert mask_id_number("441322195001010025") == "441***********0025"
    assert mask_phone("") == mask_id_number("") == ""
