"""A simulated Discord guild at discord.py's wire boundary, for cog tests and rehearsals."""

from .models import (
    InteractionResult,
    RecordedCall,
    SimMember,
    SimMessage,
    SimPermissionError,
    SimulationError,
    UnknownRouteError,
)
from .simulator import SimulatedDiscord

__all__ = [
    "InteractionResult",
    "RecordedCall",
    "SimMember",
    "SimMessage",
    "SimPermissionError",
    "SimulatedDiscord",
    "SimulationError",
    "UnknownRouteError",
]
