"""llama-cpp-python loads libllama/libggml with ctypes from `llama_cpp/lib`, which analysis cannot see."""
from pathlib import Path

from PyInstaller.utils.hooks import get_package_paths

_, _pkg = get_package_paths("llama_cpp")
binaries = [(str(p), "llama_cpp/lib") for p in sorted(Path(_pkg, "lib").glob("*.so*")) + sorted(Path(_pkg, "lib").glob("*.dylib")) + sorted(Path(_pkg, "lib").glob("*.dll"))]
excludedimports = ["llama_cpp.server"]  # the OpenAI-compatible HTTP server: never shipped in a private app
