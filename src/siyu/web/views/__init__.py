"""Console pages, one module per area."""
