"""Business rules as plain typed functions. They flush; the caller commits."""
