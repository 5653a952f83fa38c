"""One adapter per platform: platform event -> Inbound, Outbound -> platform call."""
