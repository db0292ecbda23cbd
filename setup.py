"""The package build generates tracechat.v1 from proto/ (scripts/gen_proto.py) before it
collects the modules, for wheels and editable installs alike; everything else is in
pyproject.toml."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
GENERATED_PACKAGE = "tracechat.v1"


class BuildPyWithProto(build_py):
    def run(self) -> None:
        spec = importlib.util.spec_from_file_location("gen_proto", ROOT / "scripts" / "gen_proto.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.generate(ROOT / "src")
        if self.packages is not None and GENERATED_PACKAGE not in self.packages:
            self.packages.append(GENERATED_PACKAGE)  # absent from a clean clone when packages were found
        super().run()


setup(cmdclass={"build_py": BuildPyWithProto})
