"""Where the tests find the repository and the shared sample data (``shared/`` beside the repo)."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
