"""Route tables, one module per resource of the API reference."""
