"""The indicator processor: live flow counters by area, period and indicator, from register.events.v1."""

from processors.indicators.engine import DictStore, LiveCounters, read_event
from processors.indicators.facts import FLOW_NAMES, Places, expand, periods_of

__all__ = ["FLOW_NAMES", "DictStore", "LiveCounters", "Places", "expand", "periods_of", "read_event"]
