"""The Observatory's CSP parser and CSP test (src/analyzer/cspParser.js, tests/csp.js).

Ported rule by rule, including the quirks that change scores: a repeated directive
makes the policy invalid (except report-uri/report-to, which only cost the bonus), a
source list with no sources means 'none', several policies are intersected, and a
directive missing from script-src falls back to default-src *as the same set*, so a
nonce that removes 'unsafe-inline' from script-src removes it from default-src too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

from scripts.sfops.observatory.model import Requests

MIN_POLICY_LENGTH = len("img-src") - 1
DISALLOWED_IN_META = ("frame-ancestors", "report-uri", "sandbox")
ALLOWED_DUPLICATES = frozenset({"report-uri", "report-to"})
DUPLICATE_KEY = "_observatory_duplicate_key_warnings"

DANGEROUSLY_BROAD = frozenset({"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"})
UNSAFE_INLINE = frozenset({"'unsafe-inline'", "data:"})
BROAD_OR_INLINE = DANGEROUSLY_BROAD | UNSAFE_INLINE
PASSIVE_DIRECTIVES = ("img-src", "media-src")
NONCES_HASHES = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")

# Intl.Collator("en") orders ASCII punctuation, symbols, digits and letters this way
# (CLDR root collation, punctuation not ignorable); the parser's pruning depends on it.
_COLLATION = "\t\n\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz"
_RANK = {char: rank for rank, char in enumerate(_COLLATION)}


def collation_key(text: str) -> tuple[int, ...]:
    return tuple(_RANK.get(char, len(_COLLATION) + ord(char)) for char in text.lower())


class CspInvalid(ValueError):
    pass


@dataclass
class _Source:
    source: str
    index: int
    keep: bool


def _decode_uri_component(text: str) -> str:
    """JavaScript's decodeURIComponent: malformed escapes are an error, not left as is."""
    if re.search(r"%(?![0-9a-fA-F]{2})", text):
        raise CspInvalid(f"malformed percent escape in {text!r}")
    try:
        return unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CspInvalid(str(exc)) from exc


def _path_part_match(path_a: str, path_b: str) -> bool:
    if not path_a:
        return True
    if path_a == "/" and not path_b:
        return True
    exact = not path_a.endswith("/")
    parts_a, parts_b = path_a.split("/"), path_b.split("/")
    if len(parts_a) > len(parts_b):
        return False
    if exact and len(parts_a) != len(parts_b):
        return False
    if not exact:
        parts_a.pop()
    return all(_decode_uri_component(a) == _decode_uri_component(b) for a, b in zip(parts_a, parts_b, strict=False))


def parse_csp(policies: list[str]) -> dict[str, set[str]]:
    clean = [re.sub(r"[\r\n]", "", policy).strip() for policy in policies]
    if not clean:
        return {}
    for policy in clean:
        if len(policy) < MIN_POLICY_LENGTH:
            raise CspInvalid(f"invalid policy: {policy!r}")
    csp: dict[str, list[_Source]] = {}
    duplicates: set[str] = set()
    for index, policy in enumerate(clean):
        seen: set[str] = set()
        for entry in policy.split(";"):
            directive_entry, *value_entries = re.split(r"\s+", entry.strip())
            if not directive_entry:
                continue
            directive = directive_entry.lower()
            if directive in seen:
                if directive not in ALLOWED_DUPLICATES:
                    raise CspInvalid(f"duplicate directive {directive} in policy {index}")
                duplicates.add(directive)
            else:
                seen.add(directive)
            keep = index == 0
            values = [_Source(raw.strip().lower(), index, keep) for raw in value_entries]
            if not value_entries and directive.endswith("-src"):
                values = [_Source("'none'", index, keep)]
            combined = list(values) if index == 0 else [*csp.get(directive, []), *values]
            combined.sort(key=lambda item: collation_key(item.source))
            for position in range(1, len(combined)):
                source, previous = combined[position], combined[position - 1]
                if source.index == previous.index and source.source.startswith(previous.source):
                    source.keep = False
                if source.index != previous.index and _path_part_match(previous.source, source.source):
                    source.keep = True
            csp[directive] = [source for source in combined if source.keep]
            if index == 0 and len(policies) > 1:
                for source in csp[directive]:
                    source.keep = False
    final = {
        directive: {source.source for source in sources} if sources else {"'none'"}
        for directive, sources in csp.items()
    }
    if duplicates:
        final[DUPLICATE_KEY] = duplicates
    return final


def parse_csp_meta(policies: list[str]) -> dict[str, set[str]]:
    parsed = parse_csp(policies)
    for directive in DISALLOWED_IN_META:
        parsed.pop(directive, None)
    return parsed


def _split_headers(values: Iterable[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",")]


def _has_nonce_or_hash(sources: Iterable[str]) -> bool:
    return any(source.startswith(prefix) for source in sources for prefix in NONCES_HASHES)


def _first(*candidates: set[str] | None) -> set[str]:
    # JavaScript's `a || b || new Set([...])`: the first *present* set, the object itself.
    for candidate in candidates:
        if candidate is not None:
            return candidate
    return {"*"}


@dataclass
class CspResult:
    result: str
    passed: bool = False
    data: dict[str, list[str]] | None = None
    flags: dict[str, bool] = field(default_factory=dict)


def csp_test(requests: Requests, expectation: str = "csp-implemented-with-no-unsafe") -> CspResult:
    response = requests.auto
    if response is None:
        return CspResult("csp-not-implemented")
    http_policies = _split_headers(response.headers("content-security-policy"))
    meta_policies = _split_headers(response.http_equiv.get("content-security-policy", []))
    try:
        csp = parse_csp([*http_policies, *meta_policies])
    except CspInvalid:
        return CspResult("csp-header-invalid")
    try:
        header_only = parse_csp(http_policies)
    except CspInvalid:
        header_only = {}
    try:
        meta_only = parse_csp_meta(meta_policies)
    except CspInvalid:
        meta_only = {}
    if len(header_only) + len(meta_only) == 0:
        if response.first("content-security-policy-report-only"):
            return CspResult("csp-not-implemented-but-reporting-enabled")
        return CspResult("csp-not-implemented")

    result: str | None = None
    flags: dict[str, bool] = {}
    base_uri = csp.get("base-uri") or {"*"}
    frame_ancestors = header_only.get("frame-ancestors") or {"*"}
    form_action = csp.get("form-action") or {"*"}
    object_src = _first(csp.get("object-src"), csp.get("default-src"))
    script_src = _first(csp.get("script-src"), csp.get("default-src"))
    style_src = _first(csp.get("style-src"), csp.get("default-src"))

    for sources in (script_src, style_src):
        if _has_nonce_or_hash(sources) and "'unsafe-inline'" in sources:
            sources.discard("'unsafe-inline'")

    if _has_nonce_or_hash(script_src) and "'strict-dynamic'" in script_src:
        for source in list(script_src):
            if any(source.startswith(broad) for broad in DANGEROUSLY_BROAD) or source in ("'self'", "'unsafe-inline'"):
                script_src.discard(source)
        flags["strictDynamic"] = True
    elif "'strict-dynamic'" in script_src and result is None:
        result = "csp-header-invalid"

    active = [
        source
        for directive, sources in csp.items()
        if directive not in PASSIVE_DIRECTIVES and directive != "script-src"
        for source in sources
    ] + list(script_src)
    passive = [
        source
        for directive in PASSIVE_DIRECTIVES
        for source in _first(csp.get(directive), csp.get("default-src"), set())
    ]
    secure_site = requests.session_scheme == "https"

    def insecure(sources: list[str]) -> bool:
        return any(source.startswith(("http:", "ftp:")) for source in sources)

    if any(source in BROAD_OR_INLINE for source in script_src) or any(s in DANGEROUSLY_BROAD for s in object_src):
        result = result or "csp-implemented-with-unsafe-inline"
        flags["unsafeInline"] = True
    if secure_site and insecure(active):
        result = result or "csp-implemented-with-insecure-scheme"
        flags["insecureSchemeActive"] = True
    if "'unsafe-eval'" in script_src | style_src:
        result = result or "csp-implemented-with-unsafe-eval"
        flags["unsafeEval"] = True
    if secure_site and insecure(passive):
        result = result or "csp-implemented-with-insecure-scheme-in-passive-content-only"
        flags["insecureSchemePassive"] = True
    if any(source in BROAD_OR_INLINE for source in style_src):
        result = result or "csp-implemented-with-unsafe-inline-in-style-src-only"
        flags["unsafeInlineStyle"] = True
    default_src = csp.get("default-src")
    if default_src is not None and "'none'" in default_src and len(default_src) == 1:
        result = result or "csp-implemented-with-no-unsafe-default-src-none"
        flags["defaultNone"] = True
    else:
        result = result or "csp-implemented-with-no-unsafe"
    flags["antiClickjacking"] = all(source not in DANGEROUSLY_BROAD for source in frame_ancestors)
    flags["insecureBaseUri"] = any(source in BROAD_OR_INLINE for source in base_uri)
    flags["insecureFormAction"] = any(source in DANGEROUSLY_BROAD for source in form_action)
    flags["unsafeObjects"] = any(source in DANGEROUSLY_BROAD for source in object_src)

    passed = False
    passing = (
        expectation,
        "csp-implemented-with-no-unsafe-default-src-none",
        "csp-implemented-with-unsafe-inline-in-style-src-only",
        "csp-implemented-with-insecure-scheme-in-passive-content-only",
    )
    if result in passing:
        passed = True
        if DUPLICATE_KEY in csp:
            result = "csp-implemented-but-duplicate-directives"
    data = {key: sorted(value) for key, value in csp.items() if key != DUPLICATE_KEY}
    return CspResult(result, passed, data, flags)
