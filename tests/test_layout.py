"""The layout of DESIGN.md §2 holds: `platform/` never shadows the standard library."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_stdlib_platform_is_not_shadowed_under_pytest():
    import platform

    assert platform.python_version() == ".".join(map(str, sys.version_info[:3]))
    assert Path(platform.__file__).parent != ROOT / "platform"


def test_stdlib_platform_is_not_shadowed_from_repository_root():
    # `python -c` puts the current directory first on sys.path: the worst case.
    out = subprocess.run(
        [sys.executable, "-c", "import platform; print(platform.python_version())"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == platform_version()


def platform_version() -> str:
    return ".".join(map(str, sys.version_info[:3]))


def test_platform_folder_is_a_source_root_not_a_package():
    assert not (ROOT / "platform" / "__init__.py").exists()
    assert (ROOT / "platform" / "codekids" / "__init__.py").exists()
