"""How many nudges may go out: per mentor and per learner. Plain functions, no ORM.

tracker/services/nudges.py counts the recent nudges and records the new ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

# One mentor, every cohort: enough for a whole page of the dashboard (50 rows) once a day, and
# a bound on what a compromised mentor account can send.
MENTOR_DAILY = 50
MENTOR_WINDOW = timedelta(hours=24)
# One learner, from any mentor: a second push within a day reads as nagging, and two mentors
# of one cohort must not both nudge the same learner on the same morning.
LEARNER_WINDOW = timedelta(hours=24)

RECENTLY_NUDGED = "nudged in the last 24 hours"
MENTOR_LIMIT_REACHED = f"your limit of {MENTOR_DAILY} nudges a day is reached"


@dataclass
class Decision:
    send: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)  # learner id -> why


def decide(learner_ids: Iterable[int], *, recently_nudged: set[int], mentor_sent: int) -> Decision:
    """Which of `learner_ids` (in the order asked) get a nudge now.

    `recently_nudged`: learners nudged within LEARNER_WINDOW by anyone; `mentor_sent`: nudges
    this mentor sent within MENTOR_WINDOW. The learners' limit is applied first, so a learner
    skipped for it does not use up the mentor's allowance.
    """
    decision = Decision()
    budget = max(MENTOR_DAILY - mentor_sent, 0)
    for learner_id in dict.fromkeys(learner_ids):  # once each, in order
        if learner_id in recently_nudged:
            decision.skipped[learner_id] = RECENTLY_NUDGED
        elif len(decision.send) >= budget:
            decision.skipped[learner_id] = MENTOR_LIMIT_REACHED
        else:
            decision.send.append(learner_id)
    return decision
