"""Which content files a change touches, from git: for `timeline links --changed-since` and
`timeline review --since`, which a pull request's check runs on what the pull request changes."""

from __future__ import annotations

import subprocess
from pathlib import Path

ADDED, CHANGED = "added", "changed"


def changed_files(content: Path, ref: str) -> dict[Path, str]:
    """The files under `content` that differ from git ref `ref`, resolved, each ADDED (new since
    the ref, or not yet committed) or CHANGED. Deleted files are left out. Raises ValueError
    (with git's own message) for a ref git does not know or a folder outside a repository."""
    if ref.startswith("-"):
        raise ValueError(f"'{ref}' is not a git ref")

    def git(*args: str) -> list[str]:
        try:
            run = subprocess.run(["git", "-C", str(content), *args], capture_output=True, text=True)
        except OSError as exc:
            raise ValueError(f"cannot run git: {exc.strerror or exc}") from None
        if run.returncode:
            raise ValueError(run.stderr.strip().splitlines()[-1] if run.stderr.strip() else "git failed")
        return run.stdout.splitlines()

    top = Path(git("rev-parse", "--show-toplevel")[0])
    found = {}
    for row in git("diff", "--name-status", "--no-renames", ref, "--", "."):
        status, name = row.split("\t", 1)
        found[top / name] = ADDED if status == "A" else CHANGED
    for name in git("ls-files", "--others", "--exclude-standard", "--full-name", "--", "."):
        found[top / name] = ADDED
    return {path.resolve(): how for path, how in found.items() if path.is_file()}
