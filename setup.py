"""Package list for setuptools: the engine under flakelint/, the rules under rules/.

The rules directory is mapped onto the ``flakelint.rules`` package (see
``package-dir`` in pyproject.toml). Sub-packages are found here rather than
listed by hand, so adding a rule family needs no edit to the build files.
"""

from setuptools import find_packages, setup

packages = ["flakelint"] + [f"flakelint.{p}" for p in find_packages("flakelint")]
packages += ["flakelint.rules"] + [f"flakelint.rules.{p}" for p in find_packages("rules")]
package_dir = {"flakelint": "flakelint", "flakelint.rules": "rules"}

setup(packages=packages, package_dir=package_dir, package_data={"flakelint": ["data/*.toml"]})
