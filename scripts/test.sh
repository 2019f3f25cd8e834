#!/usr/bin/env bash
# The README's second command and what CI (.ci/run) runs: the whole test suite.
#   1. install dependencies (fast when present)          scripts/install-deps.sh
#   2. build the release and asan presets (hearth, hearth_tests)
#   3. fetch the default and test models                 scripts/fetch_models.py --test-models
#      (the random-weight models in tests/models/ are committed, not generated here)
#   4. ctest --preset release; ctest --preset asan
#   5. pytest tests/e2e with the test venv
# Ends with one line "N passed, N failed, N skipped" and exits non-zero if anything failed.
#
# Under ASan (~10x slower) tests whose name matches $HEARTH_ASAN_EXCLUDE (a ctest -E regex)
# are left out for time: the llama.cpp golden checks on the downloaded models (SmolLM2,
# Gemma 3: 64 greedy tokens x 5 prompts each), and by convention any gtest suite named
# *RealModel* or *Slow*. They all still run in the release pass.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"
# Let ccache hit across checkouts (CI clones to a new path each time).
export CCACHE_BASEDIR="${ROOT}" CCACHE_NOHASHDIR=1
VENV="${HOME}/.cache/hearth/venv"
REPORTS="${ROOT}/build/test-reports"
ASAN_EXCLUDE="${HEARTH_ASAN_EXCLUDE:-GoldenTest\..*/(SmolLM2|gemma)|RealModel|Slow}"
JOBS="${HEARTH_JOBS:-2}"

START=$(date +%s)
FAILED_STAGES=()
log() { echo "[test.sh +$(( $(date +%s) - START ))s] $*"; }

# Runs a stage; a failing stage is remembered (and counted as a failure if it produced no report).
stage() {
  local name="$1"; shift
  log "== ${name}"
  if ! "$@"; then
    log "!! ${name} failed"
    FAILED_STAGES+=("${name}")
    return 1
  fi
}

build_preset() {
  local preset="$1"
  cmake --preset "${preset}" >/dev/null && \
    cmake --build "build/${preset}" -j"${JOBS}" --target hearth hearth_tests
}

run_ctest() {
  local preset="$1"; shift
  ctest --preset "${preset}" -j"${JOBS}" --output-junit "${REPORTS}/ctest-${preset}.xml" "$@"
}

run_pytest() {
  "${VENV}/bin/python" -m pytest tests/e2e -q -p no:cacheprovider \
    --junitxml="${REPORTS}/pytest-e2e.xml"
}

mkdir -p "${REPORTS}"
rm -f "${REPORTS}"/*.xml

stage "install dependencies" bash scripts/install-deps.sh || {
  echo "0 passed, 1 failed"; exit 1; }
release_built=0; asan_built=0
stage "build release" build_preset release && release_built=1
stage "build asan" build_preset asan && asan_built=1
stage "fetch models" python3 scripts/fetch_models.py --test-models
if (( release_built )); then stage "ctest release" run_ctest release; fi
if (( asan_built )); then stage "ctest asan" run_ctest asan -E "${ASAN_EXCLUDE}"; fi
stage "pytest e2e" run_pytest

log "done in $(( $(date +%s) - START ))s"
# Counts tests from the JUnit reports; a failed stage with no report counts as one failure.
python3 - "${REPORTS}" "${FAILED_STAGES[@]}" <<'PY'
import pathlib, sys, xml.etree.ElementTree as ET
reports = pathlib.Path(sys.argv[1])
failed_stages = sys.argv[2:]
stage_report = {"ctest release": "ctest-release.xml", "ctest asan": "ctest-asan.xml",
                "pytest e2e": "pytest-e2e.xml"}
passed = failed = skipped = 0
failures_in = {}
for path in sorted(reports.glob("*.xml")):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    n = sum(int(x.get("tests", 0)) for x in suites)
    f = sum(int(x.get("failures", 0)) + int(x.get("errors", 0)) for x in suites)
    s = sum(int(x.get("skipped", 0)) + int(x.get("disabled", 0)) for x in suites)
    passed += n - f - s; failed += f; skipped += s
    failures_in[path.name] = f
    print(f"[test.sh] {path.name}: {n} tests, {f} failed, {s} skipped")
for stage in failed_stages:
    # A failed stage whose report shows no failing test (a build error, a crash, no tests
    # found) still counts once, so the summary never reads "0 failed" for a red run.
    if failures_in.get(stage_report.get(stage, ""), 0) == 0:
        failed += 1
        print(f"[test.sh] failed stage: {stage}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or failed_stages else 0)
PY
