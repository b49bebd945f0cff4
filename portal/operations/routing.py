"""URL converters: an ``<int:...>`` argument only matches a number a database id can be."""

from werkzeug.routing import IntegerConverter

# The largest value of a PostgreSQL ``integer`` column (and well inside SQLite's): a bigger number
# in a URL names nothing, so it is a 404 rather than an overflow in the database driver.
MAX_ID = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    """``int`` bounded to the range of the ids it is looked up by."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
