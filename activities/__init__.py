"""Every side effect chargepay performs: Monta calls, payments, tariff lookups."""
