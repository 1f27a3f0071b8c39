"""Where the tests find the repository and the sample data kept in ``tests/data/``."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = REPO_ROOT / "tests" / "data"
