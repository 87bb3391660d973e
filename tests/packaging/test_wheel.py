"""`pip install .` installs the whole project: the wheel built from a copy of the sources holds
every module and every page, template and data file of every package (`ecrm` from the layer's
folder, each function's package, `local`, `cli`, `bench`), and installed with no access to the
checkout in a fresh venv, every module of it imports.

The build uses the dev venv's setuptools (`--no-build-isolation`: no index needed), from a copy,
so nothing is written into the checkout. Third-party dependencies come from the dev venv's
site-packages, appended after the fresh venv's own (its `.pth` files unread: the editable
install of the checkout stays out).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = {".html", ".txt", ".json", ".js", ".css"}  # what the code reads from its packages
SOURCES = ["pyproject.toml", "README.md", "layers", "functions", "local", "cli", "bench"]
NOT_SHIPPED = {"tests"}  # top-level packages of the checkout that are not installed


def package_roots() -> dict[str, Path]:
    """The top-level packages a checkout holds, by the name they import as."""
    folders = [ROOT / "layers" / "shared", ROOT / "functions", ROOT]
    return {
        package.name: package
        for folder in folders
        for package in sorted(folder.iterdir())
        if (package / "__init__.py").is_file() and package.name not in NOT_SHIPPED
    }


def expected_files() -> set[str]:
    """Every module and data file of those packages, as the wheel names them."""
    files = set()
    for name, root in package_roots().items():
        for path in root.rglob("*"):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            if path.suffix == ".py" or path.suffix in DATA:
                files.add(f"{name}/{path.relative_to(root).as_posix()}")
    return files


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{' '.join(map(str, args))}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(ROOT / name, source / name)
    dist = tmp_path_factory.mktemp("dist")
    _run(
        sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
        "--no-index", "--wheel-dir", dist, source,
    )  # fmt: skip
    (built,) = dist.glob("ecrm-*.whl")
    return built


def test_the_wheel_holds_every_module_and_data_file_of_every_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        shipped = {name for name in archive.namelist() if ".dist-info/" not in name}
    missing = sorted(expected_files() - shipped)
    assert not missing, (
        "missing from the wheel (pyproject.toml [tool.setuptools.packages.find] include, or "
        f"[tool.setuptools.package-data]): {missing}"
    )


_IMPORT_ALL = """
import importlib, json, sys
sys.path.append(sys.argv[1])  # third-party packages only; the venv's own come first
failed, outside = {}, []
for name in json.loads(sys.argv[2]):
    try:
        module = importlib.import_module(name)
    except Exception as error:
        failed[name] = repr(error)
        continue
    if not (getattr(module, "__file__", None) or "").startswith(sys.prefix):
        outside.append(name)
print(json.dumps({"failed": failed, "outside": outside}))
"""


def test_every_module_of_the_installed_wheel_imports_in_a_fresh_venv(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    _run(
        sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
        "--no-index", wheel,
    )  # fmt: skip
    assert (venv / "bin" / "ecrm").is_file(), "the `ecrm` command was not installed"
    with zipfile.ZipFile(wheel) as archive:
        modules = sorted(
            name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
            for name in archive.namelist()
            if name.endswith(".py") and not name.endswith("__main__.py")
        )
    # -I: neither the checkout (the working directory) nor PYTHONPATH nor user site-packages.
    out = _run(
        python, "-I", "-c", _IMPORT_ALL, sysconfig.get_paths()["purelib"], json.dumps(modules),
        cwd=tmp_path,
    )  # fmt: skip
    result = json.loads(out.strip().splitlines()[-1])
    assert result["failed"] == {}, f"modules of the installed wheel that fail to import: {result}"
    assert result["outside"] == [], f"imported from outside the fresh venv: {result['outside']}"
