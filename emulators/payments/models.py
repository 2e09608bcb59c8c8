"""Request bodies of the acquirer API (amounts are integer minor units)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Amount(_Body):
    amount_minor: int = Field(ge=1, le=10**12)
    currency: str = Field(min_length=3, max_length=3)

    @field_validator("currency")
    @classmethod
    def _iso(cls, v: str) -> str:
        if not v.isalpha():
            raise ValueError("currency must be an ISO-4217 code")
        return v.upper()


class TerminalHoldRequest(_Amount):
    terminal_id: str = Field(min_length=1, max_length=100)
    card_number: str = Field(min_length=12, max_length=23)


class AuthorizeRequest(_Amount):
    payment_token: str = Field(min_length=1, max_length=200)


class CaptureRequest(_Amount):
    pass


class IncrementRequest(_Amount):
    pass


class RefundRequest(_Amount):
    pass


class VoidRequest(_Body):
    pass
