"""Local stand-ins for the stack's services (developer infrastructure, not deployed)."""
