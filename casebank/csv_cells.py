"""Cells of CSV files that people open in spreadsheets: a value that a spreadsheet would run
as a formula is written as text. Every CSV that leaves casebank for a person goes through here
(the CLI's case export does not: it is read back by `import`, which must see the value as is)."""

# Spreadsheets run a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(values):
    return [csv_cell(value) for value in values]
