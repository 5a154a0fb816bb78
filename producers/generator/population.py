"""The baseline: households and their members as an A0 book records them when the register opens.

Households are built around couples: a woman's past births follow her cohort's fertility
(rates.cohort_tfr) and the preset's age pattern, children leave home as they marry, older couples
live with a married son (stem families are common in the mountains, DEMOGRAPHY §2.2 "larger
households"). The age and sex structure is an outcome, reported in the truth file.
"""

from __future__ import annotations

import numpy as np

from producers.generator import rates
from producers.generator.rand import Table
from producers.generator.sim import Sim
from producers.generator.state import DIVORCED, GHOST, MARRIED, NEVER, NONE, WIDOWED

YEAR = 365.2425
KINDS = ("nuclear", "stem", "single_parent", "elderly", "single")
# Shares of household kinds (L), tuned so the mean size meets the preset (4.66 Sơn La [V36],
# 3.6 national [V12]).
KIND_WEIGHTS = {"large": (0.49, 0.42, 0.04, 0.01, 0.04), "small": (0.55, 0.20, 0.06, 0.10, 0.09)}
# Wives' ages in nuclear households: the 2019 pyramid (DEMOGRAPHY §2.2) times a share married (L).
_WIFE_GROUPS = (
    (18, 2.0),
    (20, 3.4),
    (25, 6.4),
    (30, 7.6),
    (35, 7.5),
    (40, 6.8),
    (45, 6.0),
    (50, 4.6),
    (55, 3.0),
    (60, 1.2),
)


class Baseline:
    """Builds and emits the baseline household by household (streaming, nothing accumulated)."""

    def __init__(self, sim: Sim):
        self.sim = sim
        s = sim
        self.kinds = Table(KINDS, KIND_WEIGHTS["large" if s.preset.household_size > 4 else "small"])
        ages, weights = [], []
        for (lo, w), nxt in zip(_WIFE_GROUPS, (*_WIFE_GROUPS[1:], (65, 0)), strict=True):
            for a in range(lo, nxt[0]):
                ages.append(a)
                weights.append(w)
        self.wife_age = Table(ages, weights)
        surviving = 1.0
        self.ever_married = []  # women's probability of having married by each age
        self.fm_density = []
        for h in s.first_marriage:
            self.ever_married.append(1.0 - surviving)
            self.fm_density.append(surviving * h)
            surviving *= 1.0 - h
        self.ever_married = np.array(self.ever_married)
        self._fm_tables: dict[int, Table] = {}
        self.commune_weights = Table(
            range(len(s.places.communes)),
            [s.r.gamma_int(2, 1.0) * (3.0 if c.urban else 1.0) for c in s.places.communes],
        )

    # -- one household ---------------------------------------------------------------------------

    def household(self) -> None:
        s = self.sim
        self._pending: list[int] = []
        commune = self.commune_weights.draw(s.r)
        h = s.state.new_household(commune)
        eth = s.eth_by_commune[commune].draw(s.r)
        members: list[tuple[int, str]] = []
        kind = self.kinds.draw(s.r)
        if kind == "nuclear":
            self._nuclear(h, eth, members)
        elif kind == "stem":
            self._stem(h, eth, members)
        elif kind == "single_parent":
            mother = self._adult(h, eth, 1, s.r.between(25, 55), s.r.pick((DIVORCED, WIDOWED)))
            members.append((mother, "head"))
            self._children(h, mother, NONE, eth, members, "child")
        elif kind == "elderly":
            age = s.r.between(60, 88)
            if s.r.chance(0.5):
                self._couple(h, eth, members, age, ("head", "spouse"))
            else:
                sex = 1 if s.r.chance(0.7) else 0  # widows outnumber widowers
                members.append((self._adult(h, eth, sex, age, WIDOWED), "head"))
        else:  # mostly young men not yet married, working away from their parents' village (L)
            sex = 0 if s.r.chance(0.6) else 1
            age = s.r.between(20, 34)
            members.append((self._adult(h, eth, sex, age, NEVER if age < 30 or s.r.chance(0.6) else DIVORCED), "head"))
        self._emit(h, commune, members)

    def _adult(self, h: int, eth: int, sex: int, age: int, marital: int) -> int:
        s = self.sim
        i = s.new_person(h, sex, self._birth(age), eth, s.names.surname(s.r, eth), marital=marital)
        if sex == 1 and marital != NEVER:
            self._fertility(i, age, self._marriage_age(age))
        return i

    def _birth(self, age: int) -> int:
        return self.sim.start_day - int(age * YEAR) - self.sim.r.below(365) - 1

    def _marriage_age(self, age: int) -> int:
        """A woman's age at first marriage, given that she married by `age` (L schedule)."""
        top = max(16, min(age, len(self.fm_density) - 1))
        table = self._fm_tables.get(top)
        if table is None:
            table = self._fm_tables[top] = Table(range(top + 1), self.fm_density[: top + 1])
        return table.draw(self.sim.r)

    def _couple(self, h: int, eth: int, members: list, wife_age: int, relations: tuple[str, str]) -> tuple[int, int]:
        s = self.sim
        husband_age = max(18, wife_age + s.marriage_gap())
        man = s.new_person(h, 0, self._birth(husband_age), eth, s.names.surname(s.r, eth))
        woman = s.new_person(h, 1, self._birth(wife_age), eth, s.names.surname(s.r, eth))
        s.wed(man, woman)
        members += [(man, relations[0]), (woman, relations[1])]
        self._fertility(woman, wife_age, self._marriage_age(wife_age))
        return man, woman

    def _nuclear(self, h: int, eth: int, members: list) -> None:
        man, woman = self._couple(h, eth, members, self.wife_age.draw(self.sim.r), ("head", "spouse"))
        self._children(h, woman, man, eth, members, "child")
        if self.sim.r.chance(0.08):  # an unmarried brother (or sister) of the head
            age = self.sim.r.between(18, 30)
            members.append((self._adult(h, eth, 0 if self.sim.r.chance(0.6) else 1, age, NEVER), "sibling"))

    def _stem(self, h: int, eth: int, members: list) -> None:
        """A married son with his wife and children living with his parents (or widowed mother).

        Built from the young couple up, so married sons have the ages of married men in general.
        """
        s = self.sim
        wife_age = self.wife_age.draw(s.r)
        while wife_age > 45:
            wife_age = self.wife_age.draw(s.r)
        son_age = max(18, wife_age + s.marriage_gap())
        old_age = min(92, son_age + s.r.between(18, 38))  # his mother bore him at 18-38
        widowed = s.r.chance(min(0.7, max(0.05, (old_age - 50) / 45)))
        if widowed:
            grandma = self._adult(h, eth, 1, old_age, WIDOWED)
            elders = [(grandma, "head")]
            grandpa = None
        else:
            grandpa, grandma = self._couple(h, eth, [], old_age, ("head", "spouse"))
            elders = [(grandpa, "head"), (grandma, "spouse")]
        surname = int(s.state.p.surname[grandpa]) if grandpa is not None else s.names.surname(s.r, eth)
        son = s.new_person(h, 0, self._birth(son_age), eth, surname, mother=grandma)
        young_head = grandpa is None or old_age > 68 or s.r.chance(0.3)
        wife = s.new_person(h, 1, self._birth(wife_age), eth, s.names.surname(s.r, eth))
        s.wed(son, wife)
        self._fertility(wife, wife_age, self._marriage_age(wife_age))
        if young_head:
            members += [(son, "head"), (wife, "spouse")] + [(i, "parent") for i, _ in elders]
            grandkids, siblings = "child", "sibling"
        else:
            members += elders + [(son, "child"), (wife, "other")]
            grandkids, siblings = "grandchild", "child"
        self._children(h, wife, son, eth, members, grandkids)
        at_home = 0
        youngest = max(10, old_age - 44)  # their mother was at most 44 at their birth
        for _ in range(s.r.below(3 if s.preset.household_size > 4 else 2)):
            if youngest > min(24, son_age - 1):
                break  # unmarried younger siblings of the son still at home
            age = s.r.between(youngest, min(24, son_age - 1))
            sib = s.new_person(h, s.r.below(2), self._birth(age), eth, surname, mother=grandma)
            members.append((sib, siblings))
            at_home += 1
        # her children ever born include at least those living here
        s.state.p.parity[grandma] = max(int(s.state.p.parity[grandma]), 1 + at_home)

    # -- children and past births ----------------------------------------------------------------

    def _fertility(self, woman: int, age: int, married_at: int) -> None:
        """Past live births of a woman: her cohort's level, the preset's age pattern, spacing."""
        s = self.sim
        p = s.state.p
        year = 1 + (int(p.birth[woman]) - 719163) // 365  # ordinal of 1970-01-01 is 719163
        scale = rates.cohort_tfr(s.preset, 1969 + year) / s.preset.tfr * 1.6
        births, last = [], -9
        for a in range(max(married_at, 14), min(age, 49) + 1):
            if a - last < 2 and s.r.chance(0.6):
                continue
            if s.r.chance(min(0.55, s.asfr[a] * scale)):
                day = int(p.birth[woman]) + int(a * YEAR) + s.r.below(365)
                if day < s.start_day - 30:
                    births.append(day)
                    last = a
        p.parity[woman] = len(births)
        p.last_birth[woman] = births[-1] if births else 0
        p.last_end[woman] = p.last_birth[woman]
        self._pending = births

    def _children(self, h: int, mother: int, father: int, eth: int, members: list, relation: str) -> None:
        s = self.sim
        p = s.state.p
        surname = int(p.surname[father]) if father != NONE else int(p.surname[mother])
        for order, day in enumerate(self._pending, start=1):
            age = int((s.start_day - day) / YEAR)
            if s.r.chance(0.03 if age < 20 else 0.06):
                continue  # died before the register opened: counted in children ever born only
            male = s.r.chance(s.p_male[min(order, 3) - 1])
            ever = self.ever_married[min(age if not male else max(age - 4, 0), len(self.ever_married) - 1)]
            if s.r.chance(ever):
                continue  # married and gone to their own household
            # unmarried sons stay until they marry; some daughters and sons work elsewhere (L)
            stay = (
                0.98
                if age < 15
                else 0.95
                if age < 18
                else (0.95 if male else 0.8)
                if age < 25
                else (0.9 if male else 0.6)
            )
            if not s.r.chance(stay):
                continue
            child = s.new_person(h, 0 if male else 1, day, eth, surname, mother=mother)
            members.append((child, relation))
        self._pending = []

    # -- emission --------------------------------------------------------------------------------

    def _emit(self, h: int, commune: int, members: list[tuple[int, str]]) -> None:
        """The A0 page: the household, then its members (mothers before children), one second apart."""
        s = self.sim
        day = s.start_day
        head = next((i for i, rel in members if rel == "head"), members[0][0])
        s.em.event(
            "household.registered",
            day,
            commune,
            {"household_id": s.em.hid(h), "address": s.address(commune, day, h), "head_person_id": s.em.pid(head)},
            at=s.em.tick(),
            new_household=h,
            collector=h,
        )
        p = s.state.p
        members.sort()  # creation order: a mother is always written before her children
        for i, relation in members:
            name = s.names.full(s.r, int(p.eth[i]), int(p.surname[i]), bool(p.sex[i]))
            s.em.event(
                "person.registered",
                day,
                commune,
                s.person_payload(i, relation, name),
                persons=(i,),
                households=(h,),
                at=s.em.tick(),
                collector=h,
            )
            if s.r.chance(s.noise.duplicate_person):
                self._duplicate(i, relation, name, commune, h)
        role = {rel: i for i, rel in members if rel in ("head", "spouse")}
        if len(role) == 2 and p.spouse[role["head"]] == role["spouse"]:
            p.union_known[role["head"]] = p.union_known[role["spouse"]] = 1  # an A0 couple
        for i, _ in members:
            if p.sex[i] == 1 and p.marital[i] == MARRIED and 15 <= (day - int(p.birth[i])) / YEAR < 50:
                self._contraception(i, commune, h)

    def _duplicate(self, i: int, relation: str, name: str, commune: int, h: int) -> None:
        """The same person written on the A0 page twice (another id); merged by a clerk later."""
        s = self.sim
        ghost = s.state.p.add()
        p = s.state.p
        for col in ("birth", "sex", "hh", "commune", "marital", "mother", "eth", "surname", "parity"):
            getattr(p, col)[ghost] = getattr(p, col)[i]
        p.status[ghost] = GHOST
        # listed again lower on the page; never a second head or spouse, so the A0 couple stays clear
        payload = s.person_payload(
            ghost, "other" if relation in ("head", "spouse") else relation, name, national_id=False
        )
        if s.em.event(
            "person.registered",
            s.start_day,
            commune,
            payload,
            persons=(ghost,),
            households=(h,),
            at=s.em.tick(),
            collector=h,
        ):
            s.truth.noise["duplicate_persons"] += 1
            s.queue[s.r.between(1, 12)].append(("merge", i, ghost))

    def _contraception(self, woman: int, commune: int, h: int) -> None:
        s = self.sim
        p = s.state.p
        parity = int(p.parity[woman])
        age = (s.start_day - int(p.birth[woman])) / YEAR
        use = (0.15, 0.72, 0.88)[min(parity, 2)] * (0.75 if age >= 45 else 1.0)
        if not s.r.chance(use):
            return
        method = s.method_table.draw(s.r)
        if rates.METHODS[method].endswith("sterilization") and parity < 2:
            method = 0  # sterilisation only after two children: an IUD instead
        p.contra[woman] = method
        s.em.event(
            "contraception.started",
            s.start_day,
            commune,
            {"person_id": s.em.pid(woman), "method": rates.METHODS[method]},
            persons=(woman,),
            at=s.em.tick(),
            collector=h,
        )
