"""Plain HTTP endpoints: health, metrics (and, later, audit downloads)."""
