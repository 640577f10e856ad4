"""The `siyu` command line."""
