"""Temporary: moved to conf.errors (removed once every import is updated)."""

from conf.errors import *  # noqa: F401,F403
from conf.errors import ConfigError, EnvironmentProblem, InputError, TracklinkError  # noqa: F401
