# The two commands of the README. Each sets up what it needs first, from nothing.
.PHONY: preview test build check

preview:
	@scripts/setup.sh
	.venv/bin/timeline serve

test:
	@scripts/setup.sh --test
	.venv/bin/python -m pytest

build:
	@scripts/setup.sh
	.venv/bin/timeline build

check:
	@scripts/setup.sh
	.venv/bin/timeline check --strict
