"""Package list for setuptools: the engine under flakelint/, the rules under rules/.

The rules directory is mapped onto the ``flakelint.rules`` package, so an
installed flakelint never puts a top-level ``rules`` module on anyone's path.
Sub-packages are found here rather than listed by hand, so adding a rule
family needs no edit to the build files. ``flakelint/data`` holds data files
(the option-root tables, the generated rule index), shipped as package data.
"""

from setuptools import find_packages, setup

packages = ["flakelint", "flakelint.data"] + [f"flakelint.{p}" for p in find_packages("flakelint")]
packages += ["flakelint.rules"] + [f"flakelint.rules.{p}" for p in find_packages("rules")]
package_dir = {"flakelint": "flakelint", "flakelint.rules": "rules"}

setup(packages=packages, package_dir=package_dir, package_data={"flakelint.data": ["*.toml", "*.json"]})
