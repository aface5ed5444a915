"""Entry point the engine runs (`python -m pulumi.policy <engine> policy/`): serve the pack."""

from soundfactory_policy.pack import serve

serve()
