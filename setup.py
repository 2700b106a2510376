"""Package discovery only; all metadata lives in pyproject.toml.

The core lives under ``model/actionvos`` and the resources under ``resources``, so the
package list is computed here rather than maintained by hand.
"""

from setuptools import find_packages, setup

core = ["actionvos"] + [f"actionvos.{p}" for p in find_packages("model/actionvos")]
plugin = find_packages(".", include=["actionvos_napari", "actionvos_napari.*"])
setup(packages=core + plugin + ["actionvos_resources"])
