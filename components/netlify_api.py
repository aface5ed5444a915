from components.netlify.api import *  # noqa: F403 - old path kept: stacks written before the move unpickle providers from it
