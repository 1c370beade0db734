"""Write docs/verifiable.md, the table of every verifier, from the rules' verify tables.

Run from the project root after adding or changing a `verify` table:

    .venv/bin/python scripts/verifiable_docs.py

tests/verify/test_catalogue.py fails while the file is not what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.rules import load_rules
from scanner.verify.catalogue import markdown

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "verifiable.md"


def main() -> None:
    TARGET.write_text(markdown(load_rules().rules), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
