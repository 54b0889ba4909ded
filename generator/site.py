"""The Site: one timeline project and all that its builds keep. No module of the generator keeps
state of its own; what one build leaves for the next lives here.

`timeline build` makes a Site per build; `timeline serve` keeps one and rebuilds it on every save,
so the memos below spare a rebuild the work the last one did.
"""

from __future__ import annotations

from pathlib import Path

from .cache import Cache, Memo, code_digest, folder_for
from .templates import project_folder, template_folders


class Site:
    """A timeline project (its content folder, its templates, the settings given on the command
    line) and what its builds keep: the build cache, and in memory what a rebuild of the live
    server would otherwise work out again for every event: its rendered card and data rows under
    the fingerprint of what they show (render.Snippets, export.event_rows), its related events,
    and the page keys."""

    def __init__(self, content: Path, base_url: str | None = None, repository_url: str | None = None):
        self.content = content
        given = {"base_url": base_url, "repository_url": repository_url}
        self.overrides = {key: value for key, value in given.items() if value is not None}
        self.templates = template_folders(project_folder(content))  # the project's own first
        self.cards: Memo = Memo()
        self.rows: Memo = Memo()
        self.related: Memo = Memo()  # see collect._all_related
        self.keys: Memo = Memo()  # templates parsed and page keys hashed, see render.page_keys
        self._cache: Cache | None = None
        self._code: str | None = None

    def cache(self) -> Cache:
        """The build cache, read again when another process wrote it since this one last did."""
        if self._code is None:
            self._code = code_digest()
        if self._cache is None or not self._cache.is_current():
            self._cache = Cache(folder_for(self.content), self._code)
        return self._cache

    def sweep(self) -> None:
        """After a build: forget what it did not use (events edited or gone)."""
        for memo in (self.cards, self.rows, self.related, self.keys):
            memo.sweep()

    def save(self) -> None:
        """Write the build cache's index, unless another process wrote one since (its builds are
        as good as ours, and this process then reads theirs next time)."""
        cache = self._cache
        if cache is not None:
            with cache.locked():
                if cache.is_current():
                    cache.save()
