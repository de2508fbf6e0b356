"""Make `import lancedb` cheap: defer the REST namespace client that Cove never uses.

Why: `lancedb.db` imports `lance_namespace`, which imports model classes from `lance_namespace_urllib3_client`; that
package's `__init__` eagerly imports its nine generated REST API modules, whose ~370 pydantic `validate_call`
decorators build schemas at import time: 2–4 s of a cold `cove search` on this 2-core machine (`python -X
importtime`, lancedb 0.40 / lance-namespace 0.13), for an HTTP client a local, offline app never calls.

How: before lancedb is imported, register that package as a module whose `__path__` is the real package directory
(so `lance_namespace_urllib3_client.models` etc. import normally) and which runs the real `__init__` the first time
anything else is asked of it (`__getattr__`). Nothing changes if the package is absent, already imported, or laid out
differently (then the normal import happens).
"""
from __future__ import annotations

import importlib.util
import sys
import types

_DEFERRED = "lance_namespace_urllib3_client"


class _DeferredPackage(types.ModuleType):
    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        init = self.__dict__.get("_cove_real_init")
        if init is not None:
            del self.__dict__["_cove_real_init"]
            code = compile(open(init, encoding="utf-8").read(), init, "exec")
            exec(code, self.__dict__)  # the real package __init__, in this module's namespace
            if name in self.__dict__:
                return self.__dict__[name]
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")


def defer_lance_rest_client() -> None:
    """Idempotent; call before `import lancedb`."""
    _light_override_decorator()
    if _DEFERRED in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(_DEFERRED)
    except (ImportError, ValueError):
        return
    if spec is None or not spec.submodule_search_locations or not spec.origin:
        return
    module = _DeferredPackage(_DEFERRED)
    module.__file__ = spec.origin
    module.__path__ = list(spec.submodule_search_locations)
    module.__spec__ = spec
    module.__package__ = _DEFERRED
    module.__dict__["_cove_real_init"] = spec.origin
    sys.modules[_DEFERRED] = module


def _light_override_decorator() -> None:
    """On Python 3.11 lancedb marks ~100 methods with `overrides.override`, which checks each against its base classes
    by disassembling the caller's bytecode: 0.5–1.3 s of `import lancedb` here (cProfile). On 3.12+ lancedb uses
    `typing.override` instead, which only sets `__override__`; do the same on 3.11 (EnforceOverrides still sees the
    marker). Cove itself does not use the package."""
    if sys.version_info >= (3, 12) or "lancedb" in sys.modules:
        return
    try:
        import overrides
    except ImportError:
        return
    if getattr(overrides.override, "_cove_light", False):
        return

    def override(method=None, **_options):  # type: ignore[no-untyped-def]
        if method is None:
            return override
        try:
            method.__override__ = True
        except (AttributeError, TypeError):
            pass
        return method

    override._cove_light = True  # type: ignore[attr-defined]
    overrides.override = override  # type: ignore[assignment]
