"""The emulator kit: what every local vendor emulator (Netlify, Stripe, Twilio) shares.

- `http_server`: loopback HTTP server, `Request`/`Response`, `HttpError`;
- `routing`: path templates to handlers;
- `pipeline`: fault injection -> rate limit -> vendor handler -> request log;
- `faults`, `rate_limit`, `request_log`: the pipeline's parts;
- `state_store`: the JSON state file (atomic writes, data-dir lock, rollback on error);
- `spec_validation`: requests checked against the vendor's published spec;
- `control`: the /_emulator namespace (health, requests, faults, config, reset);
- `vendor`: the interface a vendor package implements (see its docstring).
"""
