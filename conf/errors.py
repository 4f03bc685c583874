"""Job-level errors: each one stops a job with a single line that names the cause."""


class TracklinkError(Exception):
    """A problem with how the job was asked to run, not a bug in tracklink."""


class ConfigError(TracklinkError):
    """The configuration file or a --set override is wrong."""


class InputError(TracklinkError):
    """The input is missing, empty, or not in the declared format."""


class EnvironmentProblem(TracklinkError):
    """This machine lacks something the job needs (Java, a jar)."""
