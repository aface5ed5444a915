"""`python -m local_services.sshd --port N --run-dir DIR`."""

import sys

from local_services.sshd.server import main

sys.exit(main(sys.argv[1:]))
