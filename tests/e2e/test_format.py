"""The C++ sources follow the repository's .clang-format (the style the code review expects)."""

from __future__ import annotations

import shutil
import subprocess

from conftest import REPO

GENERATED = {"src/tokenizer/unicode_tables.cpp"}  # written by gen_unicode_tables.py


def test_sources_are_clang_formatted():
    clang_format = shutil.which("clang-format")
    assert clang_format, "clang-format is missing: scripts/install-deps.sh installs it"
    files = sorted(str(p.relative_to(REPO)) for pattern in ("src/**/*.cpp", "src/**/*.h",
                                                            "fuzz/*.cpp")
                   for p in REPO.glob(pattern))
    files = [f for f in files if f not in GENERATED]
    assert len(files) > 100, files
    result = subprocess.run([clang_format, "--dry-run", "--Werror", *files], cwd=REPO,
                            capture_output=True, text=True, timeout=300, check=False)
    offenders = sorted({line.split(":")[0] for line in result.stderr.splitlines()
                        if ": error:" in line})
    assert result.returncode == 0, "not clang-formatted (run clang-format -i): " + ", ".join(offenders)
