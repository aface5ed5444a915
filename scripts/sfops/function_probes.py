"""What a legitimate probe of each site function gets back, and what every other answer means.

The probe is an empty JSON object: it costs nothing and sends nothing (a real phone number
would cost money and reach someone). A live function refuses it as bad input (400); send-sms
answers 409 while Supabase phone OTP is on (the `sms-auth-path` check judges whether that is
what the stack wants). Anything else is a failure, named: a function that answers 401, 403 or
429 to this request refuses every caller, which is an outage and not "reachable".
"""

from __future__ import annotations

PROBE_BODY: dict[str, str] = {}
ALIVE = {"send-sms": (400, 409), "verify-sms": (400,)}
MEANINGS = {
    401: "refuses every caller as unauthorized (an auth layer or site password in front of the function?)",
    403: "refuses every caller as forbidden (an access rule, firewall or site password?)",
    404: "function not deployed",
    429: "rate limits every caller (legitimate users are refused too)",
}


def judge(function: str, status: int) -> tuple[bool, str]:
    """(alive, what the answer means) for the probe's answer `status`."""
    alive = ALIVE.get(function, (400,))
    if status in alive:
        meaning = "OTP path on, custom SMS refused" if status == 409 else "input validated"
        return True, f"alive ({status}: {meaning})"
    if status in MEANINGS:
        return False, f"{status}: {MEANINGS[status]}"
    if status >= 500:
        return False, f"{status}: function errors"
    if 200 <= status < 300:
        return False, f"{status}: accepted an empty request (input not validated)"
    return False, f"{status}: expected {' or '.join(map(str, alive))} for an invalid request"
