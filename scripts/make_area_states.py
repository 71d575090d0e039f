#!/usr/bin/env python
"""Write console/compliance/data/nanp_area_states.json: the state or province of each North American number
prefix, from phonenumbers' geocoder (the prefixes it knows for +1, each with the state its description names).

The console reads this small file rather than the geocoder itself: the geocoder's data for every country and
language costs a process about 100 MB, and an import runs two. Run it again after upgrading phonenumbers;
tests/unit/test_phone_reading.py fails until then.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from console.compliance.rules import AREA_STATES_FILE, area_states_from_geocoder  # noqa: E402


def main() -> int:
    states = area_states_from_geocoder()
    AREA_STATES_FILE.write_text(json.dumps(states, sort_keys=True, separators=(",", ":")) + "\n")
    print(f"wrote {len(states):,} prefixes to {AREA_STATES_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
