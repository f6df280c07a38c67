"""The pose model behind a small interface (estimate, reset, close)."""
