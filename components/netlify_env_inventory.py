from components.netlify.env_inventory import *  # noqa: F403 - old path kept: stacks written before the move unpickle providers from it
