"""Population forecasts from the register's own history (docs/forecasts.md).

A cohort-component projection by sex and single year of age (0-99 and 100+), yearly steps, for
every commune of a province at once (multiregional: a move between two of its communes leaves
one and enters the other), so that districts and the province are sums of their communes.

- `lifetable`: life tables (single-year and abridged), survival ratios; pure.
- `standard`: the national standard mortality schedule small areas borrow strength from; pure.
- `estimate`: rates from the register's counts (ASFR, SRB, mortality, out-migration, destinations,
  in-migrants), each area shrunk towards its district and province (Poisson-gamma, Marshall 1991);
  pure.
- `engine`: the projection itself, expected values and stochastic trajectories; pure.
- `scenarios`: the register's rates held, the Population Strategy's targets, zero migration; pure.
- `inputs`: the counts from PostgreSQL (the read model as known now or on a day).
- `run`: one forecast end to end: inputs, rates, trajectories, summaries, stored per version.
- `backtest`: a forecast from a base inside the history against what the register recorded.
"""
