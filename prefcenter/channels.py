"""The channel vocabulary shared by every app and contract.

Novu names five channels; the messaging contract uses three of them (in_app, email,
push); TeamUp's face shows two (sms, email). One tuple keeps their order stable in
every response.
"""

EMAIL = "email"
SMS = "sms"
PUSH = "push"
IN_APP = "in_app"
CHAT = "chat"

CHANNELS: tuple[str, ...] = (EMAIL, SMS, IN_APP, CHAT, PUSH)
CHANNEL_CHOICES = [(c, c) for c in CHANNELS]

# Channels a messaging category preference stores (seed 001).
MESSAGING_CHANNELS: tuple[str, ...] = (IN_APP, EMAIL, PUSH)

# Email digest modes (seed 001); "off" never sends email for the category.
DIGEST_INSTANT = "instant"
DIGEST_HOURLY = "hourly"
DIGEST_DAILY = "daily"
DIGEST_OFF = "off"
DIGESTS: tuple[str, ...] = (DIGEST_INSTANT, DIGEST_HOURLY, DIGEST_DAILY, DIGEST_OFF)
DIGEST_CHOICES = [(d, d) for d in DIGESTS]


def default_channel_map() -> dict[str, bool]:
    """Every channel on: the tenant default when nobody has said otherwise."""
    return dict.fromkeys(CHANNELS, True)
