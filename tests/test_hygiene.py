"""FL5xx beyond the fixtures: a secret flakelint finds never reaches any output."""

from __future__ import annotations

import base64

import pytest

from conftest import run_flakelint

FORMATS = ["full", "concise", "json", "github", "sarif"]
SECRETS = ["hunter2-Plaintext", "tok_SUPERSECRET_0042", "Wifi-Passphrase-77"]
KEY_BODY = base64.b64encode(bytes(range(200))).decode()
PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(KEY_BODY[i : i + 64] for i in range(0, len(KEY_BODY), 64)) + "\n-----END OPENSSH PRIVATE KEY-----\n"

FILES = {
    "flake.nix": """{
  outputs = { self, nixpkgs }: {
    nixosConfigurations.box = nixpkgs.lib.nixosSystem { modules = [ ./configuration.nix ]; };
  };
}
""",
    # Two secrets on one line: each finding's snippet must mask both.
    "configuration.nix": """{ lib, ... }:
{
  users.users.root = { initialPassword = "hunter2-Plaintext"; }; services.foo.apiToken = "tok_SUPERSECRET_0042";
  networking.wireless.networks.home.psk =
    "Wifi-Passphrase-77";
  environment.etc.key.text = ''
%s  '';
}
""" % "".join("    " + line + "\n" for line in PEM.splitlines()),
    "keys/deploy": PEM,
}


@pytest.mark.parametrize("output_format", FORMATS)
def test_secrets_never_reach_the_output(repo_factory, output_format):
    repo = repo_factory(FILES)
    result = run_flakelint("--select", "FL501", "--no-cache", "--output-format", output_format, str(repo), cwd=repo)
    assert result.returncode == 1, result.stderr
    out = result.stdout + result.stderr
    assert "FL501" in out or "plaintext-secret" in out
    for secret in SECRETS:
        assert secret not in out
    for chunk in (KEY_BODY[i : i + 16] for i in range(0, len(KEY_BODY) - 16, 16)):
        assert chunk not in out


def test_every_secret_is_found(repo_factory):
    repo = repo_factory(FILES)
    result = run_flakelint("--select", "FL501", "--no-cache", "--output-format", "concise", ".", cwd=repo)
    lines = [line for line in result.stdout.splitlines() if "FL501" in line]
    assert sorted(line.split(":")[0] + ":" + line.split(":")[1] for line in lines) == [
        "configuration.nix:3",
        "configuration.nix:3",
        "configuration.nix:5",
        "configuration.nix:7",
        "keys/deploy:1",
    ]


def test_untracked_key_files_are_not_read(repo_factory):
    repo = repo_factory({"flake.nix": "{ outputs = _: { }; }\n", "stray.pem": PEM, ".gitignore": "stray.pem\n"})
    result = run_flakelint("--select", "FL501", "--no-cache", "--output-format", "concise", ".", cwd=repo)
    assert "FL501" not in result.stdout


# --- what counts as a secret ------------------------------------------------------------------------

from flakelint.secrets import looks_secret, private_keys, secret_kind  # noqa: E402


@pytest.mark.parametrize(
    "path,kind",
    [
        (["users", "users", "alice", "password"], "password"),
        (["users", "users", None, "initialPassword"], "password"),
        (["users", "users", "root", "hashedPassword"], "hash"),
        (["users", "users", "root", "initialHashedPassword"], "hash"),
        (["services", "foo", "apiToken"], "secret"),
        (["services", "foo", "settings", "client_secret"], "secret"),
        (["services", "foo", "ApiKey"], "secret"),
        (["networking", "wireless", "networks", "home", "psk"], "secret"),
        (["users", "users", "alice", "hashedPasswordFile"], None),
        (["services", "foo", "apiTokenFile"], None),
        (["services", "foo", "passwordCommand"], None),
        (["sops", "secrets", "token"], None),
        (["age", "secrets", "api-token", "path"], None),
        (["services", "openssh", "settings", "PasswordAuthentication"], None),
        (["services", "foo", "publicKey"], None),
    ],
)
def test_secret_kind(path, kind):
    assert secret_kind(path) == kind


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "/run/secrets/token",
        "@TOKEN@",
        "$GITHUB_TOKEN",
        "${TOKEN}",
        "<your token>",
        "!",
        "*",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHYqMlvvT4jXYtYJg0m0E3qsgZQ3D1EeZfFYvz7t1ZTA alice",
        "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
        "$__file{/run/secrets/x}",
        "%env(PASSWORD)%",
        "ext:psk_home",
        "ENC[AES256_GCM,data:abc,type:str]",
        "1h",
        "unused",
        "github-api-token",
    ],
)
def test_not_secrets(value):
    assert not looks_secret(value, "secret")


@pytest.mark.parametrize("value", ["hunter2", "correct horse battery staple", "ghp_0123456789abcdef", "changeme"])
def test_secrets(value):
    assert looks_secret(value, "secret")


def test_an_elided_key_is_no_key():
    assert private_keys(b"-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----\n") == []
    assert private_keys(PEM.encode()) != []


def test_a_secret_stays_masked_in_other_rules_findings_on_its_line(repo_factory):
    """FL501 masks the literal; a finding of another rule on the same line must not reveal it."""
    import subprocess
    import sys

    secret = "hunter2-very-secret"
    repo = repo_factory(
        {"default.nix": '{ ... }: { users.users.alice.password = "' + secret + '"; imports = [ ./missing.nix ]; }\n'}
    )
    for fmt in ("full", "concise", "json", "sarif", "github"):
        result = subprocess.run(
            [sys.executable, "-m", "flakelint", "--select", "FL501,FL202", "--output-format", fmt, str(repo)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 1, result.stderr
        assert "FL202" in result.stdout and secret not in result.stdout, fmt


def test_every_secret_name_contains_a_prefilter_part():
    # literal_secrets skips a file whose text holds none of SECRET_NAME_PARTS:
    # every name the rule can report must contain one of them.
    from flakelint.secrets import SECRET_NAME_PARTS, SECRET_NAMES, SECRET_SUFFIXES, USER_OPTIONS, could_be_secret_name

    names = [*SECRET_NAMES, *SECRET_SUFFIXES, *USER_OPTIONS, "hashedPassword", "myApiToken", "presharedKey"]
    for name in names:
        assert could_be_secret_name(name)
        assert any(part.decode() in name.lower() for part in SECRET_NAME_PARTS), name
    assert not could_be_secret_name("keyboard") and not could_be_secret_name("passwordFile")
