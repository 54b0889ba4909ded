"""The default templates and static files, in the package as `generator.default_templates`.

This file only makes the folder a regular package, so that importlib.resources finds it in
every kind of install (an editable install maps it from this folder; see pyproject.toml).
"""
