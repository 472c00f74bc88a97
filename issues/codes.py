"""Tracking codes: ten characters, read over the phone, printed on the resident's receipt.

Nine random characters from an alphabet without look-alikes (no 0/O, 1/I) give 32⁹ ≈ 3.5×10¹³
codes; the tenth is a check character (weighted sum mod 32) that catches any single mistyped
character, and nearly every swap of two neighbours, before a lookup is made."""

import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
BODY_LENGTH = 9
LENGTH = BODY_LENGTH + 1
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def check_character(body: str) -> str:
    # Odd weights are coprime with 32, so changing any one character always changes the sum.
    total = sum((2 * i + 1) * _VALUE[c] for i, c in enumerate(body))
    return ALPHABET[total % len(ALPHABET)]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_character(body)


def normalize(raw: str) -> str:
    """What a resident typed, as stored: upper-case, without spaces or dashes."""
    return "".join(raw.split()).replace("-", "").upper()


def is_well_formed(code: str) -> bool:
    return (
        len(code) == LENGTH
        and all(c in _VALUE for c in code)
        and check_character(code[:BODY_LENGTH]) == code[BODY_LENGTH]
    )


def display(code: str) -> str:
    """ABCD-EFGH-JK: grouped for reading aloud."""
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"
