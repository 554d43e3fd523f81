"""Non-contract activity: a contract provider's records for commissioners not on the contract.

A provider treats patients of commissioners it holds no contract with (a patient from another
area, an emergency away from home). Contract managers price that activity at the national
tariff and invoice it separately, commissioner by commissioner, rather than refuse it
(NHS Standard Contract non-contract activity guidance [K]). Here it is priced by the same
engine under generated terms: one national tariff line per commissioner and kind of activity
(admitted, outpatients, A&E), with no local rules (MRET, CQUIN and the rest are the
contract's own, not the visiting commissioner's [K]).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from quasimarket.activity.table import ActivityTable
from quasimarket.errors import InputError, summarise_items
from quasimarket.vocabulary import POD_CODES

if TYPE_CHECKING:
    from quasimarket.contracts.model import Contract

__all__ = ["GROUPS", "non_contract_rows", "non_contract_terms"]

#: Lines of a non-contract statement: kind -> (currency, points of delivery).
GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "admitted": ("spell", ("day_case", "elective", "non_elective")),
    "outpatients": ("attendance", ("op_first", "op_follow_up", "op_procedure")),
    "ae": ("attendance", ("ae",)),
}


def non_contract_rows(contract: Contract, table: ActivityTable) -> npt.NDArray[np.bool_]:
    """Records of the contract's providers for commissioners the contract does not name."""
    on_contract = {c.code for c in contract.commissioners}
    providers = {p.code for p in contract.providers}
    other = np.array([code not in on_contract for code in table.commissioners] + [False])
    ours = np.array([code in providers for code in table.providers] + [False])
    mask: npt.NDArray[np.bool_] = other[table.commissioner] & ours[table.provider]
    return mask


def non_contract_terms(contract: Contract, table: ActivityTable) -> Contract:
    """Generated terms for *table* (non-contract records only): national tariff lines by
    provider, commissioner and kind of activity, in the contract's year.

    Raises:
        InputError: Records that have no national price (community, mental health, bed days).
    """
    from quasimarket.contracts import parse_contract

    tariffable = {POD_CODES[p] for _, pods in GROUPS.values() for p in pods}
    loose = ~np.isin(table.pod, list(tariffable))
    if loose.any():
        raise InputError(
            f"{int(loose.sum()):,} non-contract record(s) have no national price (community, "
            "mental health or bed-day activity)",
            file=table.source,
            location="records " + summarise_items(table.record_id[loose][:5].tolist()),
            expected="non-contract activity that the national tariff prices: admitted care, "
            "outpatients, A&E",
            fix="add the commissioner and a line for that activity to the contract, or drop "
            "those records",
        )
    present = {(int(p), int(c), int(d)) for p, c, d in _triples(table)}
    toml = [
        'format = "quasimarket.contract/1"',
        f"name = {_quoted(contract.name + ': non-contract activity')}",
        f'year = "{contract.year}"',
    ]
    commissioners = sorted({table.commissioners[c] for _, c, _ in present})
    providers = sorted({table.providers[p] for p, _, _ in present})
    toml += [f"[[commissioners]]\ncode = {_quoted(c)}" for c in commissioners]
    toml += [f"[[providers]]\ncode = {_quoted(p)}" for p in providers]
    for p_code in providers:
        for c_code in commissioners:
            for kind, (currency, pods) in GROUPS.items():
                codes = {POD_CODES[x] for x in pods}
                if not any(
                    table.providers[p] == p_code and table.commissioners[c] == c_code and d in codes
                    for p, c, d in present
                ):
                    continue
                toml.append(
                    "[[lines]]\n"
                    f"id = {_quoted(f'nca-{c_code}-{p_code}-{kind}')}\n"
                    f"service = {_quoted(f'Non-contract activity: {kind}')}\n"
                    f'currency = "{currency}"\n'
                    f"pods = [{', '.join(_quoted(x) for x in pods)}]\n"
                    f"provider = {_quoted(p_code)}\n"
                    f"commissioner = {_quoted(c_code)}\n"
                    'mechanism = "national_tariff"'
                )
    return parse_contract("\n".join(toml) + "\n")


def _triples(table: ActivityTable) -> npt.NDArray[np.int64]:
    keys = np.stack([table.provider, table.commissioner, table.pod]).astype(np.int64)
    return np.unique(keys, axis=1).T


def _quoted(text: str) -> str:
    """A TOML basic string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
