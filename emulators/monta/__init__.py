"""An emulator of Monta's Partner API (the endpoints chargepay uses) with charge physics."""
