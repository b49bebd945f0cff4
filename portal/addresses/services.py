"""A person's saved addresses: listing, saving (once per address) and removing them.

Only their owner ever reads one: every lookup is by owner and id, so another person's address
is simply not found. Writes flush; the view commits.
"""

from dataclasses import dataclass

from sqlalchemy import select

from portal.addresses.models import SavedAddress
from portal.extensions import db

MAX_SAVED = 20


@dataclass(frozen=True)
class Address:
    """A UK postal address as typed, with its organisation line and an optional phone number."""

    organisation: str
    line1: str
    line2: str
    town: str
    postcode: str
    phone: str = ""

    @classmethod
    def of(cls, saved: SavedAddress) -> "Address":
        return cls(
            saved.organisation, saved.line1, saved.line2, saved.town, saved.postcode, saved.phone
        )

    def key(self) -> tuple[str, ...]:
        """What makes two addresses the same one (ignoring case and spacing)."""
        fields = (self.organisation, self.line1, self.line2, self.town, self.postcode, self.phone)
        return tuple(" ".join(value.split()).lower() for value in fields)


class TooManyAddresses(Exception):
    """The person already keeps MAX_SAVED addresses."""


def saved_addresses(user_id: int) -> list[SavedAddress]:
    """The person's saved addresses, oldest first."""
    return list(
        db.session.scalars(
            select(SavedAddress).where(SavedAddress.user_id == user_id).order_by(SavedAddress.id)
        )
    )


def saved_address(user_id: int, address_id: int) -> SavedAddress | None:
    """One of the person's own saved addresses; None for anyone else's or none at all."""
    return db.session.scalar(
        select(SavedAddress).where(SavedAddress.id == address_id, SavedAddress.user_id == user_id)
    )


def save_address(user_id: int, address: Address) -> SavedAddress:
    """Keep an address for the person; the same address saved again is the one already kept.
    Raises TooManyAddresses past MAX_SAVED."""
    kept = saved_addresses(user_id)
    for saved in kept:
        if Address.of(saved).key() == address.key():
            return saved
    if len(kept) >= MAX_SAVED:
        raise TooManyAddresses()
    saved = SavedAddress(
        user_id=user_id,
        organisation=address.organisation,
        line1=address.line1,
        line2=address.line2,
        town=address.town,
        postcode=address.postcode,
        phone=address.phone,
    )
    db.session.add(saved)
    db.session.flush()
    return saved


def remove_address(saved: SavedAddress) -> None:
    db.session.delete(saved)
    db.session.flush()
