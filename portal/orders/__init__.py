"""Orders: placing them, their lines and their history."""
