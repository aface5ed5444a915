"""`python -m local_services.s3 --port N --data-dir DIR`."""

import sys

from local_services.s3.server import main

sys.exit(main(sys.argv[1:]))
