"""REST API (FastAPI) and the application factory."""
