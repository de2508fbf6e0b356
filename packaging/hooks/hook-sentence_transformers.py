"""modules.json names its modules as strings (`sentence_transformers.models.Pooling`), imported at load time."""
from PyInstaller.utils.hooks import collect_submodules

hiddenimports = collect_submodules("sentence_transformers.models")
module_collection_mode = "pyz+py"  # torch.jit / inspect.getsource need the .py next to the bytecode
