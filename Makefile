# The two commands of the README. Each sets up what it needs first, from nothing.
.PHONY: preview test build check

preview:
	@scripts/setup.sh
	.venv/bin/timeline build
	@echo "Serving site/ at http://127.0.0.1:8000/ (Ctrl-C to stop)"
	.venv/bin/python -m http.server --bind 127.0.0.1 --directory site 8000

test:
	@scripts/setup.sh --test
	.venv/bin/python -m pytest

build:
	@scripts/setup.sh
	.venv/bin/timeline build

check:
	@scripts/setup.sh
	.venv/bin/timeline check --strict
