"""extract-msg reads JSON tables shipped in the package."""
from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("extract_msg")
