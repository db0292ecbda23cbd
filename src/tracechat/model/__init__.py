"""Pure value types shared by every layer; no I/O, no wire formats."""
