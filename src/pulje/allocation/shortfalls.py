"""Money stranded in bands (issue 15.7): a run that refuses applications for a band's money
while other bands of the call keep money the proposal does not use. Pure: from the run's
problem and result; the run page turns each move into a sentence and a link to the pool's
"Flyt penge" form, filled in."""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pulje.allocation.solver import Problem, Result
from pulje.core.money import format_dkk


@dataclass(frozen=True)
class BandMove:
    """Move ``amount_ore`` from band ``source`` to band ``band`` (their codes and names):
    ``band`` refused ``refused`` applications for ``wanted_ore`` in all for want of its own
    money, and ``source`` has at least ``amount_ore`` the proposal leaves unused."""

    band: str
    band_name: str
    source: str
    source_name: str
    amount_ore: int
    refused: int
    wanted_ore: int

    @property
    def sentence(self) -> str:
        """The move in plain words, for the run page."""
        refused = ngettext(
            "%(band)s refused %(count)d application for %(wanted)s for want of money",
            "%(band)s refused %(count)d applications for %(wanted)s in all for want of money",
            self.refused,
        ) % {"band": self.band_name, "count": self.refused, "wanted": format_dkk(self.wanted_ore)}
        return _(
            "%(refused)s, while %(source)s has money the proposal does not use. Move "
            "%(amount)s from %(source)s to %(band)s and run again."
        ) % {
            "refused": refused,
            "source": self.source_name,
            "amount": format_dkk(self.amount_ore),
            "band": self.band_name,
        }


def band_moves(problem: Problem, result: Result) -> list[BandMove]:
    """The moves between the run's bands that would let a band that is short grant more of
    the applications it refused for its money: a band is short by what those applications
    ask less what it has left; the money comes from the bands that refused nothing for
    their own money, most left first, never more than a band has left nor than the short
    band needs. By band code."""
    asked = {candidate.id: candidate.amount_ore for candidate in problem.candidates}
    usages = {
        usage.key.removeprefix("band:"): usage
        for usage in result.rules
        if usage.key.startswith("band:")
    }
    left = {code: max(usage.limit - usage.used, 0) for code, usage in usages.items()}
    short: dict[str, tuple[int, int, int]] = {}
    for code in usages:
        refused = [
            asked[outcome.id]
            for outcome in result.outcomes
            if not outcome.selected and outcome.rule == f"band:{code}"
        ]
        wanted = sum(refused)
        if refused and wanted > left[code]:
            short[code] = (len(refused), wanted, wanted - left[code])
    spare = {code: amount for code, amount in left.items() if code not in short and amount > 0}
    moves: list[BandMove] = []
    for code in sorted(short):
        count, wanted, need = short[code]
        for source in sorted(spare, key=lambda c: (-spare[c], c)):
            amount = min(need, spare[source])
            if amount <= 0:
                continue
            spare[source] -= amount
            need -= amount
            moves.append(
                BandMove(
                    band=code,
                    band_name=problem.labels.get(f"band:{code}", code),
                    source=source,
                    source_name=problem.labels.get(f"band:{source}", source),
                    amount_ore=amount,
                    refused=count,
                    wanted_ore=wanted,
                )
            )
    return moves
