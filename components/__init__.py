"""Pulumi components of the Sound Factory stack, their typed config and dynamic providers."""
