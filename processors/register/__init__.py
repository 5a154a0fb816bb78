"""The register processor: validates, orders and enriches every submission against person and household state."""

from processors.register.engine import RING, Register
from processors.register.state import (
    HouseholdState,
    PersonState,
    age_on,
    fold,
    state_at,
    state_before,
)
from processors.register.tx import DictStore, Store

__all__ = [
    "RING",
    "DictStore",
    "HouseholdState",
    "PersonState",
    "Register",
    "Store",
    "age_on",
    "fold",
    "state_at",
    "state_before",
]
