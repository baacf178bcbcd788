"""Stage 3 of allocation: solving the model arrays (``dispatch.solve``) with PuLP
(``pulp_solver``: HiGHS or CBC) or highspy directly (``highspy_solver``); the LP relaxation
(``relaxation``) and the solver-independent outcome (``outcome``)."""
