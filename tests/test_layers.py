"""The layering is a contract: no import circles anywhere, and the contracts of pyproject.toml
(layers, independence, no demo code in the running app) kept, as import-linter checks them."""

import pathlib

import pytest

grimp = pytest.importorskip("grimp")
cli = pytest.importorskip("importlinter.cli")

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _graph():
	return grimp.build_graph("invoice_share", include_external_packages=False)


def _circles(graph) -> list[list[str]]:
	"""Every import circle between modules (imports inside functions count too)."""
	modules = sorted(graph.modules)
	edges = {module: sorted(graph.find_modules_directly_imported_by(module)) for module in modules}
	circles, state = [], {}

	def visit(module, path):
		state[module] = "open"
		for imported in edges.get(module, []):
			if state.get(imported) == "open":
				circles.append([*path[path.index(imported) :], imported])
			elif imported not in state:
				visit(imported, [*path, imported])
		state[module] = "done"

	for module in modules:
		if module not in state:
			visit(module, [module])
	return circles


def test_no_module_imports_anything_that_imports_it_back():
	assert _circles(_graph()) == []


def test_a_circle_would_be_found(tmp_path, monkeypatch):
	"""The check itself: a package with a circle made inside a function, as the app once had."""
	package = tmp_path / "circled"
	package.mkdir()
	(package / "__init__.py").write_text("")
	(package / "a.py").write_text("from circled import b\n")
	(package / "b.py").write_text("def f():\n\tfrom circled import a\n")
	monkeypatch.syspath_prepend(str(tmp_path))
	circles = _circles(grimp.build_graph("circled", include_external_packages=False))
	assert circles and set(circles[0]) == {"circled.a", "circled.b"}


def test_the_contracts_in_pyproject_are_kept(monkeypatch):
	monkeypatch.chdir(ROOT)
	status = cli.lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)
	assert status == cli.EXIT_STATUS_SUCCESS
