"""Business rules as plain functions; they flush, the caller commits."""
