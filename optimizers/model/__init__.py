"""Stage 2 of allocation: the one formulation (``build``, ``rows``) as arrays (``arrays``), and
the objective every plan is priced by (``objective``).

Import from the modules: this package's ``__init__`` stays empty so that the candidates can
use the objective's definitions without importing the model.
"""
