"""Numbers read from a request: ids and page sizes as the pages and the API take them. A module of
its own, so that the API's pagination and `core.web` both read it."""

MAX_ID = 2**63 - 1


def whole_number(value, *, upper=MAX_ID):
    """A query-string or form value as a positive integer (ASCII digits, at most `upper`), or None."""
    value = str(value)
    if value.isascii() and value.isdigit() and len(value) <= len(str(upper)) and 0 < int(value) <= upper:
        return int(value)
    return None
