"""Package discovery only; all metadata lives in pyproject.toml.

The core lives under ``model/actionvos`` and the resources under ``resources``, so the
package list is computed here rather than maintained by hand.
"""

from setuptools import find_namespace_packages, find_packages, setup

core = ["actionvos"] + [f"actionvos.{p}" for p in find_packages("model/actionvos")]
plugin = find_packages(".", include=["actionvos_napari", "actionvos_napari.*"])
# resources/ holds data folders (vocabularies, palettes, ...) installed as data packages
resources = ["actionvos_resources"] + [
    f"actionvos_resources.{p}" for p in find_namespace_packages("resources")
]
setup(packages=core + plugin + resources)
