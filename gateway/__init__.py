"""HTTP gateway: FastAPI in front of the nameko services."""
