"""Row ids as a request names them: the one parser of integer ids in paths, headers and bodies."""

from __future__ import annotations

MAX_ROW_ID = 2**63 - 1  # the largest key a BIGINT (PostgreSQL) or INTEGER (SQLite) column holds


def row_id(value: object) -> int | None:
    """`value` as an integer row id, or None when it cannot name a row (callers answer a 404).

    ASCII digits only (`"²".isdigit()` is true, `int("²")` fails) and within a 64-bit key: a longer
    number names no row rather than overflowing the database driver.
    """
    text = str(value)
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_ROW_ID else None
