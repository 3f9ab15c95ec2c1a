"""For tools that still look for setup.py. pip builds the app with flit_core from pyproject.toml."""

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
pyproject = (HERE / "pyproject.toml").read_text()
dependencies = re.findall(
	r'^\s*"([^"#]+)",?\s*$', pyproject.split("dependencies = [", 1)[1].split("]", 1)[0], re.M
)
version = re.search(r'__version__ = "([^"]+)"', (HERE / "invoice_share" / "__init__.py").read_text()).group(1)

setup(
	name="invoice_share",
	version=version,
	description="Share ERPNext Sales Invoices through public links, signed PDF download links and Stripe Checkout",
	packages=find_packages(exclude=["tests", "tests.*", "browser_tests"]),
	include_package_data=True,
	zip_safe=False,
	install_requires=dependencies,
)
