"""The site's repository and its build command, as far as a build needs them.

Netlify builds the newest commit of the production branch (`POST /sites/{id}/builds`
takes no commit), so a test moves the branch head with a commit (control API) and sees
which commit a build recorded in `commit_ref`. The repository starts with the site's
front end: a browser Supabase client that, like any front end talking to Supabase
(phone OTP does), carries the project URL and the anon key in its bundle.

The build command stands in for a bundler's env inlining (webpack's EnvironmentPlugin,
esbuild's `define`): every file under `src/` is copied to `dist/` with each
`process.env.NAME` replaced by the build-scope value of NAME as a JSON string, or by
`undefined` when the build has no such variable. `dist/` is the publish directory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from local_services.netlify.state import CommitRecord, RepoRecord, StateData, new_sha

PRODUCTION_BRANCH = "main"
SOURCE_DIR = "src/"
PUBLISH_DIR = "dist/"
ENV_REFERENCE = re.compile(r"process\.env\.([A-Za-z_][A-Za-z0-9_]*)")
INITIAL_FILES = {
    ".gitignore": "node_modules/\n.netlify/\n",
    "netlify.toml": '[build]\n  command = "npm run build"\n  publish = "dist"\n',
    "src/assets/supabase-client.js": (
        "// The browser's Supabase client (phone sign-in). The project URL and the anon key are public by\n"
        "// design: row level security, not the key, protects the data.\n"
        'import { createClient } from "@supabase/supabase-js";\n'
        "export const supabase = createClient(process.env.SUPABASE_URL, process.env.SUPABASE_ANON_KEY);\n"
    ),
}


def seed_repo(data: StateData, site_id: str, stamp: str) -> RepoRecord:
    repo: RepoRecord = {
        "branch": PRODUCTION_BRANCH,
        "commits": [{"sha": new_sha(), "message": "Initial commit", "files": dict(INITIAL_FILES), "created_at": stamp}],
    }
    data["repos"][site_id] = repo
    return repo


def site_repo(data: StateData, site_id: str, stamp: str) -> RepoRecord:
    """The site's repository (created for a site of a state file older than repositories)."""
    return data["repos"].get(site_id) or seed_repo(data, site_id, stamp)


def head(data: StateData, site_id: str, stamp: str) -> CommitRecord:
    return site_repo(data, site_id, stamp)["commits"][-1]


def push(data: StateData, site_id: str, message: str, changes: Mapping[str, str | None], stamp: str) -> CommitRecord:
    """A new head commit: `changes` maps a path to its new text, or None to delete it."""
    files = dict(head(data, site_id, stamp)["files"])
    for path, text in changes.items():
        if text is None:
            files.pop(path, None)
        else:
            files[path] = text
    commit: CommitRecord = {"sha": new_sha(), "message": message, "files": files, "created_at": stamp}
    data["repos"][site_id]["commits"].append(commit)
    return commit


def build_output(files: Mapping[str, str], env: Mapping[str, str]) -> dict[str, str]:
    """What the build command writes to the publish directory."""

    def inline(match: re.Match[str]) -> str:
        name = match.group(1)
        return json.dumps(env[name]) if name in env else "undefined"

    return {
        PUBLISH_DIR + path.removeprefix(SOURCE_DIR): ENV_REFERENCE.sub(inline, text)
        for path, text in files.items()
        if path.startswith(SOURCE_DIR)
    }
