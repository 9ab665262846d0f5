#!/usr/bin/env python3
"""Compare an Autobahn run of wsx with autobahn/expected-results.json.

usage: compare.py REPORTS_DIR EXPECTED_JSON [--update]

REPORTS_DIR holds servers/index.json and clients/index.json as wstest writes them. The
expected file maps side -> case -> behavior. A regression is a case that is now FAILED, or
that was OK and is now anything else (except the few known to flip, see FLAKY), or that is
missing. --update rewrites the expected file from this run.
"""
import json
import sys
from collections import Counter
from pathlib import Path

# Timing races in any echo testee (the suite's README): OK and NON-STRICT alternate.
FLAKY = {"4.1.5", "4.2.5"}


def load(reports: Path) -> dict:
    results = {}
    for side in ("servers", "clients"):
        index = json.loads((reports / side / "index.json").read_text())
        agent = index["wsx"]
        results[side] = {case: agent[case]["behavior"] for case in agent}
    return results


def case_key(case: str):
    return [int(part) for part in case.split(".")]


def main() -> int:
    reports, expected_path = Path(sys.argv[1]), Path(sys.argv[2])
    update = "--update" in sys.argv[3:]
    actual = load(reports)
    for side, cases in actual.items():
        counts = Counter(cases.values())
        summary = ", ".join(f"{name}={counts[name]}" for name in
                            ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"))
        print(f"{side:8} {len(cases)} cases: {summary}")
    if update:
        ordered = {side: dict(sorted(cases.items(), key=lambda item: case_key(item[0])))
                   for side, cases in actual.items()}
        expected_path.write_text(json.dumps(ordered, indent=1) + "\n")
        print(f"wrote {expected_path}")
        return 0
    expected = json.loads(expected_path.read_text())
    problems = []
    for side, cases in expected.items():
        for case, want in cases.items():
            got = actual.get(side, {}).get(case)
            if got is None:
                problems.append(f"{side} {case}: missing (expected {want})")
            elif got == "FAILED" and want != "FAILED":
                problems.append(f"{side} {case}: FAILED (expected {want})")
            elif want == "OK" and got != "OK" and case not in FLAKY:
                problems.append(f"{side} {case}: {got} (expected OK)")
    for side, cases in actual.items():
        for case, got in cases.items():
            if got == "FAILED" and case not in expected.get(side, {}):
                problems.append(f"{side} {case}: FAILED (new case)")
    for problem in problems:
        print("REGRESSION", problem)
    print("autobahn: " + ("regressions found" if problems else "no regressions"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
