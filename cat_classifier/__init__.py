__version__ = "0.1.0"

import warnings as _warnings

# Importing fastai (every module here does) prints two warnings about fastai's own code, not the user's:
# torch 2.10+ deprecates the `torch.jit.script` that fastai.layers applies to a few functions at import, and
# pandas 3 deprecates an option that fastai.tabular sets. Nothing a user of this package can act on, so
# these two messages, and only they, are ignored; the package is always imported before its modules.
_warnings.filterwarnings('ignore', message=r'`torch\.jit\.script` is deprecated', category=FutureWarning)
_warnings.filterwarnings('ignore', message=r"The 'mode\.chained_assignment' option is deprecated")
