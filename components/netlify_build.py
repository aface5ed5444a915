from components.netlify.build import *  # noqa: F403 - old path kept: stacks written before the move unpickle providers from it
