#!/usr/bin/env bash
# Runs every test project of the solution and prints one closing line: "N passed, N failed, N skipped".
# Each project writes its own TRX under <project>/TestResults; the counts are read from them.
set -uo pipefail
cd "$(dirname "$0")/.."
find tests -type d -name TestResults -prune -exec rm -rf {} +
dotnet test TinkerServer.sln --logger trx "$@"
rc=$?
python3 - "$rc" <<'PY'
import pathlib, sys, xml.etree.ElementTree as ET
rc = int(sys.argv[1])
ns = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
counts = {"passed": 0, "failed": 0, "skipped": 0}
files = 0
for trx in pathlib.Path("tests").rglob("TestResults/*.trx"):
    files += 1
    for result in ET.parse(trx).getroot().iter(ns + "UnitTestResult"):
        outcome = result.get("outcome", "")
        key = "passed" if outcome == "Passed" else "skipped" if outcome == "NotExecuted" else "failed"
        counts[key] += 1
if rc != 0 and counts["failed"] == 0:
    # A build error or a crashed test host leaves no failed result behind: count it as one.
    print(f"note: dotnet test exited {rc} with no failed result in {files} TRX file(s)", file=sys.stderr)
    counts["failed"] = 1
print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
PY
exit "$rc"
