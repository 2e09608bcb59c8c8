"""docker-compose.yml, checked by parsing: no Docker engine on these machines."""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest
from temporalio.common import SearchAttributeIndexedValueType

from codec.server import build_codec_router
from devstack.ingress import UPSTREAM_PARAMS
from settings import Settings
from tests.deploy.compose_file import REPO, compose, default_value, env, is_interpolated, services
from workflows.search_attributes import ALL

CORE = ("postgresql", "temporal-admin-tools", "temporal", "temporal-init", "temporal-ui")
APP = ("worker", "api")
EMULATORS = {
    "monta-emulator": ("emulators.monta", 8101),
    "payments-emulator": ("emulators.payments", 8102),
}
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
SECRET_NAME = re.compile(r"(SECRET|PASSWORD|PWD|TOKEN|KEYS?)$")
CLI_TYPE = {
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.TEXT: "Text",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}


def _depends(service: str) -> dict[str, str]:
    raw = services()[service].get("depends_on", {})
    assert isinstance(raw, dict), f"{service}: depends_on must name a condition per dependency"
    return {name: spec["condition"] for name, spec in raw.items()}


def _command(service: str) -> list[str]:
    cmd = services()[service]["command"]
    return shlex.split(cmd) if isinstance(cmd, str) else [str(c) for c in cmd]


def test_every_expected_service_is_there() -> None:
    assert set(CORE + APP + tuple(EMULATORS) + ("prometheus",)) <= set(services())


def test_images_are_pinned_and_auto_setup_is_not_used() -> None:
    for name, svc in services().items():
        image = default_value(svc["image"])
        repo, _, tag = image.rpartition(":")
        assert repo and tag, f"{name}: image {image!r} has no tag"
        assert tag != "latest" and "<" not in tag, f"{name}: unpinned image {image!r}"
        assert "auto-setup" not in repo, f"{name}: temporalio/auto-setup is deprecated"
    images = {n: default_value(s["image"]) for n, s in services().items()}
    assert images["postgresql"].startswith("postgres:16")
    server_tag = images["temporal"].split(":")[1]
    assert images["temporal"] == f"temporalio/server:{server_tag}"
    assert images["temporal-admin-tools"] == f"temporalio/admin-tools:{server_tag}"
    assert images["temporal-init"] == images["temporal-admin-tools"]
    assert images["temporal-ui"].startswith("temporalio/ui:")


def test_our_services_build_one_image_from_this_repo() -> None:
    for name in APP + tuple(EMULATORS):
        svc = services()[name]
        assert svc["build"]["context"] == "."
        assert svc["image"] == services()["api"]["image"]


def test_startup_order_is_enforced_by_conditions() -> None:
    assert _depends("temporal-admin-tools") == {"postgresql": "service_healthy"}
    assert _depends("temporal") == {"temporal-admin-tools": "service_completed_successfully"}
    assert _depends("temporal-init") == {"temporal": "service_healthy"}
    for name in (*APP, "temporal-ui"):
        assert _depends(name) == {"temporal-init": "service_completed_successfully"}


def test_dependencies_exist_and_never_point_into_an_optional_profile() -> None:
    for name, svc in services().items():
        for dep, condition in _depends(name).items():
            assert dep in services(), f"{name} depends on unknown {dep}"
            assert condition in CONDITIONS
            if "profiles" not in svc:
                assert "profiles" not in services()[dep], f"{name} needs profile-only {dep}"
            if condition == "service_healthy":
                assert "healthcheck" in services()[dep], f"{dep} has no healthcheck"


def test_healthchecks_probe_the_right_thing() -> None:
    def probe(name: str) -> str:
        return " ".join(services()[name]["healthcheck"]["test"])

    assert "pg_isready" in probe("postgresql")
    assert "operator cluster health" in probe("temporal")
    assert "/healthz" in probe("api") and "8000" in probe("api")


def test_workers_and_api_can_scale() -> None:
    for name, svc in services().items():
        assert "container_name" not in svc, f"{name}: a fixed name prevents --scale"
    assert "ports" not in services()["worker"]
    assert "ports" not in services()["api"], "only the ingress reaches the API replicas"


def test_the_ingress_is_the_one_public_door() -> None:
    """[4 of 7]: compose runs the same nginx template the ingress stack test runs."""
    ingress = services()["ingress"]
    [mount] = ingress["volumes"]
    assert mount.split(":")[0] == "./deploy/nginx/chargepay.conf.template"
    assert (REPO / "deploy" / "nginx" / "chargepay.conf.template").is_file()
    assert env("ingress")["CHARGEPAY_INGRESS_UPSTREAMS"] == f"server api:8000 {UPSTREAM_PARAMS};"
    [published] = ingress["ports"]
    assert default_value(published) == "8000:80", "the public port the README's curl uses"


def test_app_commands_exist_in_the_repo() -> None:
    assert _command("worker") == ["python", "worker.py"]
    assert (REPO / "worker.py").is_file()
    api = _command("api")
    assert api[:3] == ["python", "-m", "api"]
    assert (REPO / "api" / "__main__.py").is_file()
    assert api[api.index("--port") + 1] == "8000"


@pytest.mark.parametrize("name", list(EMULATORS))
def test_emulators_run_in_the_dev_profile_only(name: str) -> None:
    module, port = EMULATORS[name]
    svc = services()[name]
    assert svc["profiles"] == ["dev"]
    assert _command(name) == ["python", "-m", module, "--host", "0.0.0.0", "--port", str(port)]
    assert (REPO / module.replace(".", "/") / "__main__.py").is_file()


@pytest.mark.parametrize("package", ["api", "emulators/monta", "emulators/payments"])
def test_python_m_entrypoints_take_host_and_port(package: str) -> None:
    source = "\n".join(p.read_text() for p in (REPO / package).glob("*.py"))
    assert "--host" in source and "--port" in source, f"{package} must accept --host/--port"


def test_app_is_wired_to_the_emulators_by_default_and_to_real_services_by_env() -> None:
    app_env = env("worker")
    assert env("api").items() >= app_env.items()
    for var, (name, (_, port)) in zip(
        ("CHARGEPAY_MONTA_BASE_URL", "CHARGEPAY_PAYMENTS_BASE_URL"), EMULATORS.items(), strict=True
    ):
        raw = app_env[var]
        assert raw.startswith(f"${{{var}:-"), f"{var} must be overridable from the env"
        assert default_value(raw) == f"http://{name}:{port}"
    assert app_env["CHARGEPAY_TEMPORAL_ADDRESS"] == "temporal:7233"
    assert default_value(app_env["CHARGEPAY_TEMPORAL_NAMESPACE"]) == default_value(
        env("temporal-init")["NAMESPACE"]
    )


def test_no_secret_is_written_in_the_file() -> None:
    for name in services():
        for var, value in env(name).items():
            if SECRET_NAME.search(var) and value not in ("true", "false"):
                assert is_interpolated(value), f"{name}: {var} must come from the environment"
    assert "<required:CHARGEPAY_CODEC_KEYS>" == default_value(env("api")["CHARGEPAY_CODEC_KEYS"])


def test_ui_logs_in_with_oidc_and_decodes_through_the_api_codec_server() -> None:
    ui = env("temporal-ui")
    assert ui["TEMPORAL_AUTH_ENABLED"] == "true"
    for var in (
        "TEMPORAL_AUTH_PROVIDER_URL",
        "TEMPORAL_AUTH_CLIENT_ID",
        "TEMPORAL_AUTH_CLIENT_SECRET",
        "TEMPORAL_AUTH_CALLBACK_URL",
        "TEMPORAL_AUTH_SCOPES",
    ):
        assert is_interpolated(ui[var]), f"{var} comes from the environment"
    assert default_value(ui["TEMPORAL_AUTH_CLIENT_SECRET"]).startswith("<required:")
    assert ui["TEMPORAL_CODEC_PASS_ACCESS_TOKEN"] == "true"
    endpoint = default_value(ui["TEMPORAL_CODEC_ENDPOINT"])
    router = build_codec_router(object(), verifier=None, cors_origins=[])  # type: ignore[arg-type]
    paths = {getattr(r, "path", "") for r in router.routes}
    assert {"/codec/decode", "/codec/encode"} <= paths
    assert endpoint.endswith("/codec") and ":8000" in endpoint
    ui_origin = default_value(env("api")["CHARGEPAY_CODEC_CORS_ORIGINS"])
    assert default_value(ui["TEMPORAL_AUTH_CALLBACK_URL"]).startswith(ui_origin)


def test_search_attributes_registered_equal_the_workflows_list() -> None:
    registered = dict(
        pair.split("=", 1) for pair in env("temporal-init")["SEARCH_ATTRIBUTES"].split()
    )
    assert registered == {key.name: CLI_TYPE[key.indexed_value_type] for key in ALL}


def test_retention_outlives_the_terminals_retry_horizon() -> None:
    retention = default_value(env("temporal-init")["RETENTION"])
    match = re.fullmatch(r"(\d+)d", retention)
    assert match, f"retention {retention!r} should be in days"
    horizon_days = Settings().terminal_retry_horizon_s / 86400
    assert int(match.group(1)) > horizon_days


def test_mounted_files_exist_and_scripts_parse() -> None:
    for name, svc in services().items():
        for volume in svc.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in compose()["volumes"], f"{name} uses undeclared volume {source}"
    dynamic = env("temporal")["DYNAMIC_CONFIG_FILE_PATH"].removeprefix("config/dynamicconfig/")
    assert (REPO / "deploy/temporal/dynamicconfig" / dynamic).is_file()
    for name in ("temporal-admin-tools", "temporal-init"):
        script = _command(name)[0].replace("/scripts/", "deploy/temporal/")
        assert subprocess.run(["sh", "-n", str(REPO / script)], check=False).returncode == 0


def test_schema_setup_migrates_both_databases() -> None:
    script = (REPO / "deploy/temporal/setup-postgres.sh").read_text()
    assert "temporal-sql-tool" in script
    for word in ("create", "setup-schema", "update-schema", "temporal_visibility"):
        assert word in script
    assert "postgresql/v12/temporal/versioned" in script.replace("$SCHEMA_DIR", "postgresql/v12")
