"""The registry of personal-data owners: erasure and `/mydata` run exactly these, in this order.

Order matters twice: contributions come first, since unnaming others' words needs the person's
pseudonyms; the people repository (whose `release_identity` removes the participant row) comes last.
"""

from __future__ import annotations

from bot.store.after_cafe import AfterCafeRepo
from bot.store.attendance import AttendanceRepo
from bot.store.audit import AuditRepo
from bot.store.contributions import ContributionRepo
from bot.store.db import Database
from bot.store.people import PeopleRepo
from bot.store.personal import PersonalData
from bot.store.reminders import ReminderOptOuts
from bot.store.waitlist import WaitlistRepo
from bot.store.wellbeing import WellbeingRepo

OWNER_CLASSES: tuple[type[PersonalData], ...] = (ContributionRepo, AttendanceRepo, WellbeingRepo, AfterCafeRepo,
                                                 AuditRepo, ReminderOptOuts, WaitlistRepo, PeopleRepo)


def personal_data_owners(db: Database) -> tuple[PersonalData, ...]:
    return tuple(owner(db) for owner in OWNER_CLASSES)
