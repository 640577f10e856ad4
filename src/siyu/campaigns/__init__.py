"""SMS campaigns: composer, lints, audiences and hold-out, batches, short links, attribution, reports."""
