"""Read models and reports (queries only)."""
