"""The stages of an update, modelled on the staged upgrade API (reference: staged-upgrade-api.txt).

The order matches the reference's stage order (CONFIRM_START and CONFIRM_COMPLETION
are operator steps there; here approval is the ApproveUpdate call). Each stage has
an English description for `Progress.description`, a default duration in scenario
seconds, and scripted log entries at fractions of its duration.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class StageStatus(StrEnum):
    UNSTARTED = "unstarted"
    UNDERWAY = "underway"
    COMPLETED = "completed"
    FAILED = "failed"
    ROLLED_BACK = "rolled back"


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    SUCCESS = "success"


@dataclass(frozen=True)
class StageSpec:
    name: str
    description: str  # `{version}` is the version being installed
    duration: float  # default, in scenario seconds
    logs: tuple[tuple[float, Level, str], ...]  # (fraction of the duration, level, message)
    done: str  # the success log when the stage completes
    fault: str = "The stage failed."  # the error log when a failure is injected here


STAGES: tuple[StageSpec, ...] = (
    StageSpec(
        "download",
        "Downloading version {version}.",
        5.0,
        (
            (0.0, Level.INFO, "Downloading {version} from the release feed (312 MB)."),
            (0.5, Level.INFO, "Downloaded 156 of 312 MB."),
        ),
        "Download complete; checksum verified.",
        "Download failed: the checksum of the image does not match.",
    ),
    StageSpec(
        "turn down workloads",
        "Turning down workloads.",
        3.0,
        ((0.0, Level.INFO, "Scaling down deployments."),),
        "All workloads are stopped.",
        "Workload 'vision-pipeline' did not stop within 60 s.",
    ),
    StageSpec(
        "migrate database",
        "Migrating the database.",
        4.0,
        (
            (0.0, Level.INFO, "Backing up the database."),
            (0.4, Level.INFO, "Applying schema migrations."),
        ),
        "Database migrated.",
        "Migration 42 failed: column 'skill_id' has duplicate values.",
    ),
    StageSpec(
        "write new configs",
        "Writing the new configs for version {version}.",
        2.0,
        ((0.0, Level.INFO, "Writing configs for {version}."),),
        "New configs written; {version} is now the active version.",
        "Writing configs failed: the config store is read-only.",
    ),
    StageSpec(
        "undo turn-down",
        "Bringing workloads back up.",
        3.0,
        ((0.0, Level.INFO, "Scaling deployments back up."),),
        "All workloads are running.",
        "Workload 'motion-planner' is in a crash loop.",
    ),
    StageSpec(
        "run post-install actions",
        "Running post-install actions.",
        4.0,
        (
            (0.0, Level.INFO, "Running post-install actions."),
            (0.5, Level.WARNING, "Action 'reindex-assets' took longer than expected; continuing."),
        ),
        "Post-install actions finished.",
        "Action 'register-skills' failed with exit code 3.",
    ),
    StageSpec(
        "check health",
        "Checking health before version {version} becomes last known good.",
        6.0,
        (
            (0.0, Level.INFO, "Health check soak started for {version}."),
            (0.5, Level.INFO, "All workloads report ready; soak continues."),
        ),
        "Health check passed; {version} is now the last known good version.",
        "Health check failed: workload 'vision-pipeline' was not ready after 60 s.",
    ),
)

STAGE_NAMES: tuple[str, ...] = tuple(s.name for s in STAGES)
# When this stage completes, the new version runs (active); the health check follows.
ACTIVATING_STAGE = "write new configs"


def stage_index(name: str) -> int:
    """The 0-based position of a stage; ValueError for an unknown name."""
    try:
        return STAGE_NAMES.index(name)
    except ValueError:
        raise ValueError(f"unknown stage {name!r}; expected one of: {', '.join(STAGE_NAMES)}") from None
