"""Reading ``django.conf.settings`` at the speed of an attribute, not of a Python call.

Every ``settings.X`` goes through ``LazyObject.__getattribute__``, a Python method. Django
added it to hide the lazy proxy's own dunder methods (``__str__``, ``__iter__``, ...) behind the
wrapped object's, so that ``hasattr(lazy, "__iter__")`` answers for the wrapped object.
``LazySettings`` already keeps each setting it has read in its own ``__dict__``, but that
Python-level ``__getattribute__`` runs before the dictionary is even looked at. A credentials
page read settings about 90 times, so that method was about 4% of a page's CPU under load
(py-spy, own time), and removing it took 5-6% of the page's instructions (callgrind).

:func:`install` gives the one settings object a subclass of ``LazySettings`` that looks
attributes up as every other object does (``object.__getattribute__``, in C). Everything else
is Django's, unchanged: a setting not read yet still goes through ``LazySettings.__getattr__``
(which keeps it), and ``override_settings`` still clears what was kept, through
``LazySettings.__setattr__``. The one difference is in the names the masking was for: the
proxy's own dunder methods are found on it directly instead of on the wrapped settings; they
call the same method of the wrapped object, so they answer the same.
``tests/console/test_settings_reads.py`` checks reads, overrides and those methods.
"""

from django.conf import LazySettings, settings


class AttributeSpeedSettings(LazySettings):
    __getattribute__ = object.__getattribute__


# LazyObject's ``__class__`` is a property that answers with the wrapped object's class, and
# assigning through it would change the wrapped Settings' class: the instance's own
# ``__class__`` slot is object's descriptor.
_set_class = object.__dict__["__class__"].__set__


def install() -> None:
    """Called from ConsoleConfig.ready(), once the settings are configured."""
    if type(settings) is LazySettings:
        _set_class(settings, AttributeSpeedSettings)
