"""The referral → patient choice → waiting-list step as a Mesa agent-based model (peer benchmark).

The same step as :mod:`quasimarket.simulation.engine`, one patient per agent: each month every
new referral is a ``Patient`` agent that picks a provider by the same multinomial logit
(``ln baseline share + λ (β_wait × expected wait + β_quality × quality)``), joins that
provider's queue, and each ``Provider`` agent treats up to its monthly capacity — a share
``fifo_share`` longest waiters first, the rest at random across its queue — removing the
treated patients from the model. Inputs come from a compiled quasimarket scenario, so both
models run on identical referrals, capacities, shares and coefficients.

Only the benchmark imports this module (Mesa is in the ``bench`` optional dependencies).
"""

from __future__ import annotations

from collections import deque
from typing import Any

import mesa
import numpy as np


class Provider(mesa.Agent):  # type: ignore[misc]
    """A provider with a FIFO queue of waiting patients."""

    def __init__(self, model: ReferralModel, index: int, quality: float) -> None:
        super().__init__(model)
        self.index = index
        self.quality = quality
        self.queue: deque[Patient] = deque()
        self.capacity = 0.0
        self.carry = 0.0

    def expected_wait(self) -> float:
        """Months a new patient would wait: queue length over monthly capacity."""
        return len(self.queue) / max(self.capacity, 1e-9)

    def treat(self) -> int:
        """Complete up to this month's capacity; return the number treated."""
        budget = self.capacity + self.carry
        whole = int(budget)
        self.carry = budget - whole
        whole = min(whole, len(self.queue))
        spread = round((1.0 - self.model.fifo_share) * whole)
        if spread:
            picks = set(self.model.rng.choice(len(self.queue), size=spread, replace=False).tolist())
            kept: deque[Patient] = deque()
            for i, patient in enumerate(self.queue):
                if i in picks:
                    patient.remove()
                else:
                    kept.append(patient)
            self.queue = kept
        for _ in range(whole - spread):
            self.queue.popleft().remove()
        return whole


class Patient(mesa.Agent):  # type: ignore[misc]
    """One referral waiting for treatment."""

    def __init__(self, model: ReferralModel, month: int) -> None:
        super().__init__(model)
        self.referred = month

    def choose(self, utility: np.ndarray[Any, Any]) -> None:
        """Pick a provider by multinomial logit and join its queue."""
        probs = np.exp(utility - utility.max())
        probs /= probs.sum()
        index = int(self.model.rng.choice(len(probs), p=probs))
        self.model.providers[index].queue.append(self)


class ReferralModel(mesa.Model):  # type: ignore[misc]
    """One commissioner's referrals, choice and provider queues, month by month.

    Args:
        referrals: Expected referrals per month (T,).
        base_share: Baseline share of each provider (V,), > 0 within reach.
        quality: Provider quality scores (V,).
        capacity: Pathways each provider completes per month (T, V).
        initial_list: Patients waiting at each provider at the start (V,).
        choice_sensitivity, wait_coefficient, quality_coefficient, fifo_share: As in
            :class:`quasimarket.simulation.scenario.Pathway` and the regime.
        seed: Random seed.
    """

    def __init__(
        self,
        referrals: np.ndarray[Any, Any],
        base_share: np.ndarray[Any, Any],
        quality: np.ndarray[Any, Any],
        capacity: np.ndarray[Any, Any],
        initial_list: np.ndarray[Any, Any],
        *,
        choice_sensitivity: float,
        wait_coefficient: float,
        quality_coefficient: float,
        fifo_share: float,
        seed: int = 0,
    ) -> None:
        super().__init__(seed=seed)
        self.rng = np.random.default_rng(seed)
        self.referrals = referrals
        self.capacity_path = capacity
        self.lam = choice_sensitivity
        self.beta_wait = wait_coefficient
        self.beta_quality = quality_coefficient
        self.fifo_share = fifo_share
        self.log_share = np.log(base_share)
        self.providers = [Provider(self, v, float(q)) for v, q in enumerate(quality)]
        self.month = 0
        self.treated: list[int] = []
        for provider, count in zip(self.providers, initial_list, strict=True):
            for _ in range(round(count)):
                provider.queue.append(Patient(self, -1))

    def step(self) -> None:
        """One month: new referrals choose, then providers treat."""
        t = self.month
        for provider in self.providers:
            provider.capacity = float(self.capacity_path[t, provider.index])
        waits = np.array([p.expected_wait() for p in self.providers])
        quality = np.array([p.quality for p in self.providers])
        utility = self.log_share + self.lam * (self.beta_wait * waits + self.beta_quality * quality)
        for _ in range(int(self.rng.poisson(self.referrals[t]))):
            Patient(self, t).choose(utility)
        self.treated.append(sum(p.treat() for p in self.providers))
        self.month += 1

    def waiting(self) -> int:
        """Patients waiting now."""
        return sum(len(p.queue) for p in self.providers)
