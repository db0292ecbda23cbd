"""The HTTP API on port 8000: FastAPI routers only (validate, call one service method, return)."""
