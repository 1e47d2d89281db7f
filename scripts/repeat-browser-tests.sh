#!/usr/bin/env bash
# Runs the browser tests again and again on one database, to show they pass every time:
#   scripts/repeat-browser-tests.sh sqlite 10 [pytest node ids...]
# With no node ids, every browser test. Prints one line per run and a count at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
database=${1:?sqlite or postgresql}
runs=${2:?how many runs}
shift 2
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
  tests=(
    tests/web/test_accessibility.py
    "tests/web/test_admin_pages.py::test_an_admin_adds_staff_and_registers_and_revokes_a_client_in_a_real_browser"
    "tests/web/test_auditor_pages.py::test_an_auditor_verifies_the_log_in_a_real_browser"
    tests/web/test_citizen_journey.py
    "tests/web/test_citizen_sign_in.py::test_a_resident_signs_in_and_out_in_a_browser"
    "tests/web/test_dpo_pages.py::test_in_a_browser_a_dpo_copies_an_agreement_and_activates_it"
    "tests/web/test_notifications_pages.py::test_a_citizen_turns_updates_on_in_a_browser"
    "tests/web/test_officer_decisions.py::test_an_officer_asks_then_finds_the_decision_in_a_real_browser"
  )
fi
clean=0
for run in $(seq 1 "$runs"); do
  if SHAREWELL_TEST_DATABASE="$database" .venv/bin/python -m pytest -q -p no:cacheprovider \
      "${tests[@]}" > "/tmp/repeat-$database-$run.log" 2>&1; then
    clean=$((clean + 1))
    echo "$database run $run: $(tail -n 1 "/tmp/repeat-$database-$run.log")"
  else
    echo "$database run $run: FAILED (see /tmp/repeat-$database-$run.log)"
    grep -E "^(FAILED|ERROR)" "/tmp/repeat-$database-$run.log"
  fi
done
echo "$database: $clean of $runs runs clean"
