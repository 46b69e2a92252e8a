"""The lock files (requirements/, issue 16) hold what pyproject.toml asks for, exactly pinned."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ \\;]+)")


def locked(name: str) -> dict[str, str]:
    """{package: version} of a lock file; every pin must carry at least one hash."""
    text = (ROOT / "requirements" / name).read_text()
    pins: dict[str, str] = {}
    for block in re.split(r"\n(?=\S)", text):
        m = PIN.match(block)
        if not m:
            continue
        assert "--hash=sha256:" in block, f"{name}: {m.group(1)} has no hash"
        pins[canonicalize_name(m.group(1))] = m.group(2)
    return pins


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def check(requirements: list[str], pins: dict[str, str], lock: str) -> None:
    for line in requirements:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is in pyproject.toml but not in {lock}: run ./dev lock"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"{lock} pins {req.name}=={pins[name]}, outside {req.specifier}: run ./dev lock"
        )


def test_the_deployment_lock_holds_every_runtime_dependency():
    check(project()["dependencies"], locked("base.txt"), "base.txt")


def test_the_development_lock_holds_everything_at_the_same_versions():
    base, dev = locked("base.txt"), locked("dev.txt")
    extras = project()["optional-dependencies"]
    check(project()["dependencies"] + extras["dev"] + extras["bench"], dev, "dev.txt")
    differ = {n: (v, dev.get(n)) for n, v in base.items() if dev.get(n) != v}
    assert not differ, f"base.txt and dev.txt disagree: {differ}"


def test_dev_and_ci_install_from_the_lock():
    dev = (ROOT / "dev").read_text()
    assert "--require-hashes -r \"$LOCK_DEV\"" in dev
    assert "install_locked" in (ROOT / ".ci" / "run").read_text()
    assert "requirements/base.txt" in (ROOT / ".ci" / "wheel-smoke").read_text()
