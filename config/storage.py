"""Static files in production: whitenoise's compressed, fingerprinted storage."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Also rewrites ES module imports (`import ... from "./reconnect.js"`) to the fingerprinted
    names, so a module and what it imports are cached together: a phone offline, or after a
    release, never mixes an old module with a new one (Django leaves this off by default)."""

    support_js_module_import_aggregation = True
