"""Many operators (Monta credentials) for the full run's large phases.

Monta grants each credential 1,000 requests per 600 s, and chargepay keeps each operator's
calls under it. A phase that starts more sessions per second than one credential carries
spreads them over a fleet of generated operators `fleet01`, `fleet02`, ...: each with its
own credential, webhook secret, team, price groups (copies of alpha's) and charge points
(copies of the AC point 101 and the DC point 103), in the emulator's seed and in
chargepay's operators file alike.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.envfile import REPO
from emulators.monta.config import EmuConfig
from emulators.monta.seed import load_seed

TEMPLATE_OPERATOR = "alpha"
KIND_TEMPLATE = {"ac": 101, "dc": 103}
POINT_BASE = 10_000_000
POINTS_PER_OPERATOR = 100_000  # id space: one operator's points never reach the next's
KIND_OFFSET = {"ac": 0, "dc": 50_000}
QUOTA_SHARE = 0.9  # plan each credential to at most this share of its quota
OPERATORS_MAX = 64


@dataclass(frozen=True)
class Fleet:
    keys: tuple[str, ...]
    points_per_kind: int

    def point_id(self, operator_index: int, kind: str, i: int) -> int:
        return POINT_BASE + (operator_index + 1) * POINTS_PER_OPERATOR + KIND_OFFSET[kind] + i

    def secret(self, key: str) -> str:
        return f"{key}-secret-bench"

    def webhook_secret(self, key: str) -> str:
        return f"{key}-webhook-bench"

    def env(self) -> dict[str, str]:
        """The secrets the operators file names, for chargepay's processes."""
        out = {}
        for key in self.keys:
            out[f"CHARGEPAY_{key.upper()}_CLIENT_SECRET"] = self.secret(key)
            out[f"CHARGEPAY_{key.upper()}_WEBHOOK_SECRETS"] = self.webhook_secret(key)
        return out


def fleet_of(operators: int, points_per_kind: int) -> Fleet:
    if not 1 <= operators <= OPERATORS_MAX:
        raise ValueError(f"operators must be 1..{OPERATORS_MAX}, not {operators}")
    return Fleet(tuple(f"fleet{j:02d}" for j in range(1, operators + 1)), points_per_kind)


def operators_needed(
    calls_per_s: float,
    time_scale: float,
    limit: int = 1000,
    window_s: float = 600.0,
    share: float = QUOTA_SHARE,
) -> int:
    """Credentials whose quotas (scaled to wall time) carry `calls_per_s` at `share` each."""
    per_credential = share * limit * time_scale / window_s
    return max(1, math.ceil(calls_per_s / per_credential))


def seed_json(fleet: Fleet, base: Path | None = None) -> dict[str, Any]:
    """The default seed plus the fleet's operators, credentials, price groups and points."""
    seed = json.loads(load_seed(base or EmuConfig().seed_path).model_dump_json())
    alpha_cred = next(c for c in seed["credentials"] if c["clientId"] == "alpha-client")
    templates = {
        kind: next(p for p in seed["chargePoints"] if p["id"] == pid)
        for kind, pid in KIND_TEMPLATE.items()
    }
    groups = {g["id"]: g for g in seed["priceGroups"]}
    for j, key in enumerate(fleet.keys):
        op_id = 1000 + j
        team = op_id * 10 + 1
        seed["operators"].append(
            {
                "key": key,
                "id": op_id,
                "name": f"Bench fleet {key}",
                "identifier": f"bench-{key}",
                "vatNumber": f"DK{op_id:08d}",
                "teams": [{"id": team, "publicName": f"{key} terminals"}],
            }
        )
        seed["credentials"].append(
            {**alpha_cred, "clientId": f"{key}-client", "clientSecret": fleet.secret(key),
             "operator": key, "name": f"chargepay ({key})"}
        )  # fmt: skip
        for kind, template in templates.items():
            group = dict(groups[template["priceGroupId"]])
            group.update(id=op_id * 10 + (1 if kind == "ac" else 2), operator=key, teamId=team)
            seed["priceGroups"].append(group)
            seed["chargePoints"] += [
                {
                    **template,
                    "id": fleet.point_id(j, kind, i),
                    "operator": key,
                    "teamId": team,
                    "priceGroupId": group["id"],
                    "name": f"{key} {kind.upper()} {i}",
                    "state": "available",
                }
                for i in range(fleet.points_per_kind)
            ]
    return seed


def operators_toml(fleet: Fleet, base: Path | None = None) -> str:
    """chargepay's operators file: the repo's own (alpha, bravo) and then the fleet."""
    text = (base or REPO / "config" / "operators.toml").read_text()
    for j, key in enumerate(fleet.keys):
        up = key.upper()
        text += (
            f"\n[operators.{key}]\n"
            f'name = "Bench fleet {key}"\n'
            f'monta_client_id = "{key}-client"\n'
            f'client_secret_env = "CHARGEPAY_{up}_CLIENT_SECRET"\n'
            f'webhook_secrets_env = "CHARGEPAY_{up}_WEBHOOK_SECRETS"\n'
            f"default_paying_team_id = {(1000 + j) * 10 + 1}\n"
            'vat_rate = "0.25"\n'
        )
    return text


def write(fleet: Fleet, work: Path) -> tuple[Path, Path]:
    """(seed path, operators file path) under `work`."""
    seed, ops = work / "fleet-seed.json", work / "fleet-operators.toml"
    seed.write_text(json.dumps(seed_json(fleet)))
    ops.write_text(operators_toml(fleet))
    return seed, ops
