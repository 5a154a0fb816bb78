"""The write side: the exactly-once sink from the log into PostgreSQL, recomputation of touched units, rebuild beside the live version."""
