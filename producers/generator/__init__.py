"""`popreg generate`: a deterministic synthetic population history of a province, as submissions.

generate(config, out) writes one EVENTS.md envelope per line, ordered by recorded_at, and returns
the truth document (see truth.py) that `popreg generate` writes beside the file.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, BinaryIO

from producers.generator import rates
from producers.generator.history import Progress, months, simulate, snapshot, warm_up
from producers.generator.migration import age_norm
from producers.generator.names import Names
from producers.generator.noise import NoiseConfig
from producers.generator.places import Places
from producers.generator.population import Baseline
from producers.generator.rand import Rand, Table
from producers.generator.sim import Sim
from producers.generator.state import State
from producers.generator.truth import Truth
from producers.generator.writer import DAY, Emitter

__all__ = ["GeneratorConfig", "NoiseConfig", "generate"]
TRUTH_FORMAT = 1


@dataclass(frozen=True)
class GeneratorConfig:
    start: date  # first day of the first month
    seed: int = 1
    households: int = 20_000
    years: int = 5
    province: str = "14"  # Sơn La
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    hazards: rates.Hazards = field(default_factory=rates.Hazards)

    @property
    def end(self) -> date:
        """The first day after the simulated period (exclusive)."""
        total = self.start.year * 12 + self.start.month - 1 + self.years * 12
        return date(total // 12, total % 12 + 1, 1)

    @property
    def tag(self) -> str:
        """A short run id prefixed to person and household ids: two runs never share ids."""
        key = f"{self.seed}|{self.province}|{self.households}|{self.years}|{self.start}"
        return "g" + hashlib.blake2b(key.encode(), digest_size=4).hexdigest()


def generate(
    config: GeneratorConfig,
    out: BinaryIO,
    gazetteer: Any,
    progress: Progress | None = None,
    baseline_progress: Progress | None = None,
) -> dict[str, Any]:
    """Write the whole history to `out` (streaming) and return the truth document."""
    if config.start.day != 1:
        raise ValueError("start must be the first day of a month")
    if config.end > date.today():
        raise ValueError(f"the history would end on {config.end}, in the future: start earlier or use fewer years")
    preset = rates.preset_for(config.province)
    r = Rand(config.seed)
    places = Places(gazetteer, config.province, config.start, r, config.households)
    names = Names([g for g, _ in preset.ethnic_mix])
    capacity = int(config.households * preset.household_size * 1.3) + 64
    state = State(capacity, int(config.households * 1.2) + 16, len(places.communes))
    truth = Truth(config.start.year, config.years)
    em = Emitter(out, state, places, config.tag, config.end.toordinal() * DAY, config.noise, r, truth)
    sim = Sim(state, places, preset, config.hazards, config.noise, r, names, em, truth, config.start.toordinal())
    sim.eth_by_commune = [_ethnic_table(r, preset, c.urban) for c in places.communes]
    baseline = Baseline(sim)
    em.open_baseline(sim.start_day, config.households)
    for i in range(config.households):
        baseline.household()
        em.flush(em.clock + 1)  # the baseline lines, as they come

        if baseline_progress is not None and i % 1000 == 999:
            baseline_progress(i + 1, config.households, em.written)
    em.close_baseline()
    warm_up(sim)
    truth.snapshots["start"] = snapshot(sim, sim.start_day)
    sim.move_norm = age_norm(sim, state.ages(sim.start_day))
    simulate(sim, months(config.start, config.years * 12), progress)
    em.close()
    truth.snapshots["end"] = snapshot(sim, config.end.toordinal() - 1)
    return _document(config, preset, truth, em)


def _ethnic_table(r: Rand, preset: rates.Preset, urban: bool) -> Table:
    # Communes differ in their mix (Mông villages high up, Kinh in the towns): each commune's shares
    # are the province's times a random factor, Kinh favoured in wards and towns (L).
    weights = [
        share * r.gamma_int(1, 1.0) * (4.0 if urban and group == "Kinh" else 1.0) for group, share in preset.ethnic_mix
    ]
    return Table(range(len(weights)), weights)


def _document(config: GeneratorConfig, preset: rates.Preset, truth: Truth, em: Emitter) -> dict[str, Any]:
    asfr = preset.asfr()
    srb = preset.srb_by_order
    return {
        "format": TRUTH_FORMAT,
        "generator": {
            "seed": config.seed,
            "province": config.province,
            "households": config.households,
            "years": config.years,
            "start": config.start.isoformat(),
            "end": config.end.isoformat(),
            "id_prefix": config.tag,
            "preset": preset.name,
        },
        "inputs": {
            "tfr": preset.tfr,
            "asfr_per_1000": {f"{a}-{a + 4}": round(1000 * sum(asfr[a : a + 5]) / 5, 2) for a in rates.AGE_GROUPS},
            "srb_by_order": {"1": srb[0], "2": srb[1], "3+": srb[2]},
            "e0": {"M": preset.e0[0], "F": preset.e0[1]},
            "imr_per_1000": preset.imr,
            "female_first_marriage_mean_age": preset.female_marriage_mean,
            "marriage_age_gap_mean": preset.marriage_gap_mean,
            "household_size": preset.household_size,
            "ethnic_mix": dict(preset.ethnic_mix),
            "method_mix": dict(zip(rates.METHODS, rates.METHOD_MIX, strict=True)),
            "pregnancy_outcomes": dict(zip(rates.OUTCOMES, rates.OUTCOME_P, strict=True)),
            "twin_rate": rates.TWIN_RATE,
            "hazards": asdict(config.hazards),
            "noise": config.noise.as_dict(),
            "sources": preset.sources,
        },
        "realised": truth.report(),
        "events": dict(sorted(truth.events.items())),
        "noise": dict(sorted(truth.noise.items())),
        "invalid_lines": {"total": sum(truth.invalid.values()), "by_kind": dict(sorted(truth.invalid.items()))},
        "lines": em.written,
        "buffer_peak_lines": em.peak,
    }
