"""Netlify's secrets scanning, as `@netlify/build` runs it after the build command.

Source: netlify/build, packages/build/src/plugins_core/secrets_scanning/{index,utils,
secret_prefixes}.ts and packages/build/src/log/messages/core_steps.js (the messages), and
https://docs.netlify.com/build/environment-variables/secrets-controller/#secret-scanning.
The rules emulated:
- the build fails when the value of a variable marked secret (`is_secret`) is found in the
  repository or the build output, as typed, base64-encoded or URI-encoded;
- only non-trivial values are looked for: longer than 4 characters and not `true`/`false`
  (`getSecretKeysToScanFor` of @netlify/build 30-32; later versions lowered it to 4);
- `SECRETS_SCAN_ENABLED=false` turns the scan off; `SECRETS_SCAN_OMIT_KEYS` (comma
  separated keys) and `SECRETS_SCAN_OMIT_PATHS` (path prefixes or globs) leave things out;
  `.git/` and `.cache/` are never scanned, nor what the repository's `.gitignore` ignores;
- the enhanced ("smart detection") scan also fails on any quoted or `=`-assigned token that
  starts with a likely-secret prefix (`sk_`, `AKIA`, `ghp_`, ...), is followed by at least 12
  more letters, digits or dashes and looks random (Shannon entropy >= 4.5), unless
  `SECRETS_SCAN_SMART_DETECTION_ENABLED=false` or the token is listed in
  `SECRETS_SCAN_SMART_DETECTION_OMIT_VALUES`.
"""

from __future__ import annotations

import base64
import fnmatch
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

# secret_prefixes.ts (compared case-insensitively).
LIKELY_SECRET_PREFIXES = (
    *("aws_", "asia", "akia", "aida", "ar0a", "apka", "abia", "asca"),
    *("xoxb-", "xwfp-", "xoxp-", "xapp-"),
    *("aiza", "ya29"),
    "nf_",
    *("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    *("shpss_", "shpat_", "shpca_", "shppa_"),
    "sq0atp-",
    *("sk_", "pat_", "sk-", "db_", "api_", "secret_", "auth_", "access_", "twilio_", "-----begin", "ls0tls1crudjtib"),
)
SAFE_LISTED_VALUES = ("SECRET_DO_NOT_PASS_THIS_OR_YOU_WILL_BE_FIRED",)
MIN_CHARS_AFTER_PREFIX = 12
HIGH_ENTROPY_THRESHOLD = 4.5
ALWAYS_OMITTED = (".git/", ".cache/")
_PREFIXES = "|".join(re.escape(prefix) for prefix in LIKELY_SECRET_PREFIXES)
LIKELY_SECRET = re.compile(
    rf"(?:[\"'`]|[=]) *(?P<token>(?P<prefix>{_PREFIXES})[a-zA-Z0-9-]{{{MIN_CHARS_AFTER_PREFIX}}}[a-zA-Z0-9-]*?)"
    r"(?:[\"'`]|$)",
    re.IGNORECASE | re.MULTILINE,
)
FAILED_BUILD = "Secrets scanning found secrets in build."
OMIT_HINT = (
    "If these are expected, use SECRETS_SCAN_OMIT_PATHS, SECRETS_SCAN_OMIT_KEYS, or SECRETS_SCAN_ENABLED to prevent "
    "detecting."
)
SMART_HINT = (
    "If these are expected, use SECRETS_SCAN_SMART_DETECTION_OMIT_VALUES, or SECRETS_SCAN_SMART_DETECTION_ENABLED "
    "to prevent detecting."
)


@dataclass(frozen=True)
class Match:
    key: str
    file: str
    line: int


@dataclass
class ScanResult:
    scanned_files: int = 0
    matches: list[Match] = field(default_factory=list)
    likely: list[Match] = field(default_factory=list)
    skipped: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.matches or self.likely)

    def log(self) -> str:
        """The build log's lines for a failed scan, worded as logSecretsScanFailBuildMessage words them."""
        secret_keys = list(dict.fromkeys(m.key for m in self.matches))
        likely_keys = list(dict.fromkeys(m.key for m in self.likely))
        lines = [
            f"Scanning complete. {self.scanned_files} file(s) scanned. Secrets scanning found {len(secret_keys)} "
            "instance(s) of secrets"
            + (f" and {len(likely_keys)} instance(s) of likely secrets" if likely_keys else "")
            + " in build output or repo code."
        ]
        found = (
            (secret_keys, self.matches, 'Secret env var "{key}"\'s value detected:', "secret values", OMIT_HINT),
            (likely_keys, self.likely, '"{key}***" detected as a likely secret:', "likely secret values", SMART_HINT),
        )
        for keys, matches, heading, what, hint in found:
            for key in keys:
                lines.append(heading.format(key=key))
                lines += [f"  found value at line {m.line} in {m.file}" for m in matches if m.key == key]
            if keys:
                lines.append(
                    f"To prevent exposing secrets, the build will fail until these {what} are not found in "
                    "build output or repo files."
                )
                lines.append(hint)
        return "\n".join(lines)


def _is_off(env: Mapping[str, str], key: str) -> bool:
    return env.get(key) == "false"


def _listed(env: Mapping[str, str], key: str) -> list[str]:
    return [part.strip() for part in env.get(key, "").split(",") if part.strip()]


def _trivial(value: str) -> bool:
    return value in ("true", "false") or len(value.strip()) <= 4


def keys_to_scan_for(env: Mapping[str, str], secret_keys: list[str]) -> list[str]:
    omitted = set(_listed(env, "SECRETS_SCAN_OMIT_KEYS"))
    return [key for key in secret_keys if key not in omitted and key in env and not _trivial(env[key])]


def _glob(pattern: str, path: str) -> bool:
    """minimatch without `dot` surprises: `*` stays within a folder, `**` crosses them."""
    regex = re.escape(pattern).replace(r"\*\*", "\0").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
    return re.fullmatch(regex.replace("\0", ".*"), path) is not None


def _ignored(path: str, gitignore: list[str]) -> bool:
    for pattern in gitignore:
        stem = pattern.rstrip("/")
        if pattern.endswith("/") and (path.startswith(f"{stem}/") or f"/{stem}/" in f"/{path}"):
            return True
        if not pattern.endswith("/") and (
            fnmatch.fnmatchcase(path, stem) or fnmatch.fnmatchcase(path.split("/")[-1], stem)
        ):
            return True
    return False


def files_to_scan(env: Mapping[str, str], files: Mapping[str, str]) -> list[str]:
    gitignore = [
        line.strip() for line in files.get(".gitignore", "").splitlines() if line.strip() and not line.startswith("#")
    ]
    omitted = [*_listed(env, "SECRETS_SCAN_OMIT_PATHS"), *ALWAYS_OMITTED]
    return sorted(
        path
        for path in files
        if not _ignored(path, gitignore) and not any(path.startswith(o) or _glob(o, path) for o in omitted)
    )


def _permutations(value: str) -> list[str]:
    stripped = value.strip()
    encoded = base64.b64encode(stripped.encode()).decode()
    return list(dict.fromkeys([stripped, encoded, quote(stripped, safe="-_.!~*'()")]))


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _exact_matches(path: str, text: str, needles: Mapping[str, list[str]]) -> list[Match]:
    found: list[Match] = []
    for key, values in needles.items():
        lines = sorted({_line_of(text, m.start()) for value in values for m in re.finditer(re.escape(value), text)})
        found += [Match(key, path, line) for line in lines]
    return found


def _likely_matches(path: str, text: str, omitted: set[str]) -> list[Match]:
    found: list[Match] = []
    for match in LIKELY_SECRET.finditer(text):
        token = match.group("token")
        if token.lower() in omitted or _entropy(token) < HIGH_ENTROPY_THRESHOLD:
            continue
        found.append(Match(match.group("prefix"), path, _line_of(text, match.start())))
    return found


def scan(env: Mapping[str, str], secret_keys: list[str], files: Mapping[str, str]) -> ScanResult:
    """`env`: the build's variables; `secret_keys`: those marked secret; `files`: the build
    directory after the build command (repository checkout plus output), path -> text."""
    if _is_off(env, "SECRETS_SCAN_ENABLED"):
        return ScanResult(skipped="Secrets scanning disabled via SECRETS_SCAN_ENABLED flag set to false.")
    needles = {key: _permutations(env[key]) for key in keys_to_scan_for(env, secret_keys)}
    enhanced = not _is_off(env, "SECRETS_SCAN_SMART_DETECTION_ENABLED")
    omitted = {v.lower() for v in (*_listed(env, "SECRETS_SCAN_SMART_DETECTION_OMIT_VALUES"), *SAFE_LISTED_VALUES)}
    paths = files_to_scan(env, files)
    result = ScanResult(scanned_files=len(paths))
    for path in paths:
        result.matches += _exact_matches(path, files[path], needles)
        if enhanced:
            result.likely += _likely_matches(path, files[path], omitted)
    return result
