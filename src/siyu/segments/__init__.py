"""Segments: RFM, lifecycle and loyalty stages, tags, and the audience builder (人群圈选)."""
