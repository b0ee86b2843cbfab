"""docs/reliability.md's fault table is the one the fault tests back (tests/reliability.py)."""

from __future__ import annotations

import ast

from tests.reliability import DOC, ROOT, render, rewrite, rows


def test_the_doc_table_is_generated_from_the_tests() -> None:
    text = DOC.read_text()
    assert render() in text, "run `python -m tests.reliability` to regenerate the table"
    assert rewrite(text) == text


def test_every_row_names_a_test_that_exists() -> None:
    for row in rows():
        path, name = row.test.split("::")
        function = name.split("[")[0]
        tree = ast.parse((ROOT / path).read_text())
        names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert function in names, row.test
        assert row.attempts > 0
