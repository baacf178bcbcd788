"""Plans without a MIP: the rule-based baseline, LP rounding with greedy repair, polishing,
and the warm start (LP + RENS) that seeds the solver."""
