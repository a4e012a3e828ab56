"""Legacy name of the fake jetson_utils (`import jetson.utils`)."""

from jetson_utils import *  # noqa: F403
from jetson_utils import __all__  # noqa: F401
