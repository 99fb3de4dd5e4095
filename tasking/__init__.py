"""tasking: NIM intelligence products from data.police.uk and force data."""
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
