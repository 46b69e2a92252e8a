"""What goes in Village's wheel; everything else about the package is in pyproject.toml.

Every app and `config`, and the top-level templates/ and static/ folders, which ship inside the
wheel as the data-only packages config/site_templates and config/site_static
(config/settings/base.py looks for the checkout's folders first, then those).
"""

from setuptools import find_packages, setup

APPS = ["accounts", "chat", "config", "core", "directory", "groups", "meetups", "moderation",
        "notifications", "realtime"]
DATA = {"config.site_templates": "templates", "config.site_static": "static"}

setup(
    packages=find_packages(include=[p for app in APPS for p in (app, f"{app}.*")]) + list(DATA),
    package_dir=DATA,
    package_data={name: ["**/*"] for name in DATA},
    include_package_data=False,
)
