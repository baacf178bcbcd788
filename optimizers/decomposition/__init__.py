"""Large runs: column generation over all candidates, the Lagrangian relaxation that bounds
every candidate, auction prices, and runs in parts above 30,000 lines."""
