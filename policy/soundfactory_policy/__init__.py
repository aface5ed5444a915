"""Sound Factory's policies, one module each; `pack.py` assembles them."""
