"""The app's own strings ship translated into German, French and Spanish (Frappe's CSV format,
`invoice_share/translations/<lang>.csv`): every string the code marks for translation, with the
same placeholders."""

import ast
import csv
import pathlib
import re

import pytest

APP = pathlib.Path(__file__).resolve().parent.parent / "invoice_share"
LANGUAGES = ("de", "fr", "es")
# Words the buyer page shows through `_(status)` and `_(uom)`: not literals at the call.
SHOWN_AS_VALUES = {"Unpaid", "Overdue", "Partly Paid", "Paid", "Credit Note", "Nos"}
_JINJA = re.compile(r"""(?<![\w.])_\(\s*(["'])((?:\\.|(?!\1).)*)\1\s*[),]""", re.S)
_JS = re.compile(r"""(?<![\w.])__\(\s*(["'`])((?:\\.|(?!\1).)*)\1\s*[),]""", re.S)
_PLACEHOLDER = re.compile(r"\{\d+\}")


def strings_in(path: pathlib.Path) -> set[str]:
	text = path.read_text(encoding="utf-8")
	if path.suffix == ".py":
		return {
			node.args[0].value
			for node in ast.walk(ast.parse(text))
			if isinstance(node, ast.Call)
			and isinstance(node.func, ast.Name)
			and node.func.id == "_"
			and node.args
			and isinstance(node.args[0], ast.Constant)
			and isinstance(node.args[0].value, str)
		}
	pattern = _JS if path.suffix == ".js" else _JINJA
	return {match.group(2).replace('\\"', '"').replace("\\'", "'") for match in pattern.finditer(text)}


def source_strings() -> set[str]:
	found = set(SHOWN_AS_VALUES)
	for path in APP.rglob("*"):
		if (
			path.suffix in (".py", ".html", ".js")
			and "tests" not in path.parts
			and path.name != "benchmark.py"
		):
			found |= strings_in(path)
	return {text for text in found if text.strip()}


def translations(lang: str) -> dict[str, str]:
	with open(APP / "translations" / f"{lang}.csv", encoding="utf-8", newline="") as file:
		rows = list(csv.reader(file))
	assert all(len(row) == 2 for row in rows), f"{lang}: every row is source,translation"
	sources = [row[0] for row in rows]
	assert len(sources) == len(set(sources)), f"{lang}: a source string appears twice"
	return dict(rows)


def test_the_extractor_finds_each_kind_of_call(tmp_path):
	(tmp_path / "a.py").write_text('from frappe import _\nx = _(\n\t"Hello {0}"\n).format(1)\n')
	(tmp_path / "b.html").write_text("<p>{{ _(\"Pay {0} by card\").format(x) }} {{ _('Due today') }}</p>")
	(tmp_path / "c.js").write_text('__("Share link"); __(\n\t"Revoke link",\n\t[x]\n); frappe.__("x")')
	found = set().union(*(strings_in(path) for path in tmp_path.iterdir()))
	assert found == {"Hello {0}", "Pay {0} by card", "Due today", "Share link", "Revoke link"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_string_is_translated_with_its_placeholders(lang):
	table = translations(lang)
	missing = sorted(source_strings() - set(table))
	assert not missing, f"{lang}: not translated: {missing}"
	for source, translated in table.items():
		assert translated.strip(), f"{lang}: empty translation of {source!r}"
		assert sorted(_PLACEHOLDER.findall(source)) == sorted(_PLACEHOLDER.findall(translated)), (
			f"{lang}: placeholders differ in {source!r}"
		)
		if len(re.findall(r"[A-Za-z]{2,}", source)) > 2:
			assert translated != source, f"{lang}: {source!r} is left in English"
