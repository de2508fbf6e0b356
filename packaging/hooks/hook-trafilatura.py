"""trafilatura reads settings.cfg and its DTD at import; justext its stop lists; tld its suffix list."""
from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("trafilatura") + collect_data_files("justext") + collect_data_files("tld")
