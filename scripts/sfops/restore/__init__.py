"""`sfops restore`: list backups, check one, decrypt it with the operator's age identity and restore it."""
