"""HTTP routes, one module per backend service plus operations."""
