"""Legacy name of the fake jetson_inference (`import jetson.inference`)."""

from jetson_inference import *  # noqa: F403
from jetson_inference import __all__  # noqa: F401
