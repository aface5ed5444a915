"""`python -m scripts.sfops`: what the `sfops` wrapper on PATH runs."""

from scripts.sfops.cli import main

main()
