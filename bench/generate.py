"""Generate a large, valid, seed-layout flake repository for benchmarks.

Deterministic: the same arguments always write the same bytes. The repo has
``hosts`` hosts wired through a helper function in ``flake.nix``, realistic
NixOS modules under ``modules/<category>/`` (options, ``mkIf``, ``let``,
string interpolation, lists, systemd units), home-manager modules, overlays
and packages, and every file is reached from ``flake.nix`` so that a clean
run reports nothing.

    python bench/generate.py OUT_DIR --files 4000 --hosts 40
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
from pathlib import Path

CATEGORIES = ("hardware", "desktop", "users", "services", "programs", "home")
WORDS = (
    "alpha", "bravo", "cobalt", "delta", "ember", "falcon", "garnet", "harbor", "indigo", "juniper",
    "kestrel", "lumen", "meadow", "nimbus", "onyx", "prairie", "quartz", "raven", "sierra", "tundra",
)  # fmt: skip


def module_text(rng: random.Random, category: str, name: str) -> str:
    option = f"{category}.{name}"
    port = rng.randint(1024, 65000)
    packages = " ".join(f"pkgs.{rng.choice(WORDS)}" for _ in range(rng.randint(1, 5)))
    flags = "\n".join(f'        "--{rng.choice(WORDS)}=${{toString cfg.{rng.choice(("port", "workers"))}}}"' for _ in range(3))
    return f"""{{ config, lib, pkgs, ... }}:
let
  cfg = config.{option};
  inherit (lib) mkIf mkOption mkEnableOption types;
  stateDir = "/var/lib/{name}";
in
{{
  options.{option} = {{
    enable = mkEnableOption "the {name} {category} module";
    port = mkOption {{
      type = types.port;
      default = {port};
      description = "Port {name} listens on.";
    }};
    workers = mkOption {{
      type = types.ints.positive;
      default = {rng.randint(1, 16)};
      description = "How many workers {name} runs.";
    }};
    extraArgs = mkOption {{
      type = types.listOf types.str;
      default = [ ];
    }};
  }};

  config = mkIf cfg.enable {{
    environment.systemPackages = [ {packages} ];
    networking.firewall.allowedTCPPorts = [ cfg.port ];
    systemd.services.{name} = {{
      description = "{name.capitalize()} ({category})";
      wantedBy = [ "multi-user.target" ];
      after = [ "network-online.target" ];
      wants = [ "network-online.target" ];
      serviceConfig = {{
        ExecStart = lib.concatStringsSep " " ([
        "${{pkgs.{rng.choice(WORDS)}}}/bin/{name}"
{flags}
        ] ++ cfg.extraArgs);
        StateDirectory = "{name}";
        WorkingDirectory = stateDir;
        Restart = "on-failure";
        DynamicUser = true;
      }};
    }};
    users.groups.{name} = {{ }};
  }};
}}
"""


def home_module_text(rng: random.Random, name: str) -> str:
    return f"""{{ config, lib, pkgs, ... }}:
{{
  options.my.{name}.enable = lib.mkEnableOption "{name}";
  config = lib.mkIf config.my.{name}.enable {{
    home.packages = [ pkgs.{rng.choice(WORDS)} pkgs.{rng.choice(WORDS)} ];
    programs.{rng.choice(("git", "fish", "bash", "zsh"))}.enable = true;
    xdg.configFile."{name}/config.toml".text = ''
      name = "{name}"
      level = {rng.randint(1, 9)}
    '';
  }};
}}
"""


def package_text(rng: random.Random, name: str) -> str:
    return f"""{{
  lib,
  stdenv,
  fetchurl,
}}:
stdenv.mkDerivation (finalAttrs: {{
  pname = "{name}";
  version = "{rng.randint(0, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}";
  src = fetchurl {{
    url = "https://example.org/{name}-${{finalAttrs.version}}.tar.gz";
    hash = "sha256-{"".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(43))}=";
  }};
  meta.license = lib.licenses.mit;
}})
"""


def generate(out: Path, files: int, hosts: int, seed: int = 1) -> int:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    written = 0

    def write(relpath: str, text: str) -> None:
        nonlocal written
        target = out / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        if relpath.endswith(".nix"):
            written += 1

    fixed = 1 + 3 * hosts + 3  # flake.nix, per host: configuration, hardware, default; overlays + pkgs/default + home default
    budget = max(files - fixed, len(CATEGORIES))
    home_count = budget // 10
    package_count = budget // 10
    module_count = budget - home_count - package_count
    per_category = {c: module_count // len(CATEGORIES) for c in CATEGORIES}
    per_category[CATEGORIES[0]] += module_count - sum(per_category.values())

    module_paths = []
    for category, count in per_category.items():
        names = []
        for index in range(count):
            name = f"{rng.choice(WORDS)}{index}"
            names.append(name)
            write(f"modules/{category}/{name}.nix", module_text(rng, category, name))
            module_paths.append(f"{category}/{name}.nix")
        imports = "\n".join(f"    ./{n}.nix" for n in names)
        write(f"modules/{category}/default.nix", f"{{ ... }}:\n{{\n  imports = [\n{imports}\n  ];\n}}\n")

    home_names = []
    for index in range(home_count):
        name = f"{rng.choice(WORDS)}home{index}"
        home_names.append(name)
        write(f"home/modules/{name}.nix", home_module_text(rng, name))
    home_imports = "\n".join(f"    ../modules/{n}.nix" for n in home_names)
    write("home/alice/home.nix", f"""{{ pkgs, ... }}:
{{
  imports = [
{home_imports}
  ];
  home.username = "alice";
  home.homeDirectory = "/home/alice";
  home.stateVersion = "25.05";
}}
""")

    package_names = [f"{rng.choice(WORDS)}-pkg{index}" for index in range(package_count)]
    for name in package_names:
        write(f"pkgs/{name}/default.nix", package_text(rng, name))
    calls = "\n".join(f'  "{n}" = final.callPackage ./{n} {{ }};' for n in package_names)
    write("pkgs/default.nix", f"final: {{\n{calls}\n}}\n")
    write("overlays/default.nix", "final: prev: import ../pkgs final\n")

    host_names = [f"host{index:03d}" for index in range(hosts)]
    for host in host_names:
        categories = " ".join(f"../../modules/{c}" for c in CATEGORIES)
        write(f"hosts/{host}/configuration.nix", f"""{{ config, lib, pkgs, ... }}:
{{
  imports = [
    ./hardware-configuration.nix
    ./services.nix
    {categories}
  ];
  networking.hostName = "{host}";
  time.timeZone = "Europe/Berlin";
  system.stateVersion = "25.05";
}}
""")
        write(f"hosts/{host}/hardware-configuration.nix", f"""{{ lib, modulesPath, ... }}:
{{
  imports = [ (modulesPath + "/installer/scan/not-detected.nix") ];
  boot.initrd.availableKernelModules = [ "nvme" "xhci_pci" ];
  fileSystems."/" = {{
    device = "/dev/disk/by-uuid/{rng.getrandbits(64):016x}";
    fsType = "ext4";
  }};
  nixpkgs.hostPlatform = lib.mkDefault "x86_64-linux";
}}
""")
        enabled = "\n".join(f"  {p[:-4].replace('/', '.')}.enable = true;" for p in rng.sample(module_paths, min(5, len(module_paths))))
        write(f"hosts/{host}/services.nix", f"{{ ... }}:\n{{\n{enabled}\n}}\n")

    host_list = " ".join(f'"{h}"' for h in host_names)
    write("flake.nix", f"""{{
  description = "A large generated fleet for flakelint's benchmark";

  inputs = {{
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
    home-manager = {{
      url = "github:nix-community/home-manager/release-25.05";
      inputs.nixpkgs.follows = "nixpkgs";
    }};
  }};

  outputs =
    {{
      self,
      nixpkgs,
      home-manager,
      ...
    }}@inputs:
    let
      system = "x86_64-linux";
      mkHost =
        name:
        nixpkgs.lib.nixosSystem {{
          inherit system;
          specialArgs = {{ inherit inputs; }};
          modules = [
            ./hosts/${{name}}/configuration.nix
            {{ nixpkgs.overlays = [ self.overlays.default ]; }}
          ];
        }};
    in
    {{
      overlays.default = import ./overlays;
      nixosConfigurations = nixpkgs.lib.genAttrs [ {host_list} ] mkHost;
      homeConfigurations.alice = home-manager.lib.homeManagerConfiguration {{
        pkgs = nixpkgs.legacyPackages.${{system}};
        modules = [ ./home/alice/home.nix ];
      }};
    }};
}}
""")
    write("flake.lock", LOCK)
    return written


LOCK = """{
  "nodes": {
    "home-manager": {
      "inputs": { "nixpkgs": ["nixpkgs"] },
      "locked": {
        "lastModified": 1763000000,
        "narHash": "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "owner": "nix-community",
        "repo": "home-manager",
        "rev": "0000000000000000000000000000000000000001",
        "type": "github"
      },
      "original": { "owner": "nix-community", "ref": "release-25.05", "repo": "home-manager", "type": "github" }
    },
    "nixpkgs": {
      "locked": {
        "lastModified": 1763000000,
        "narHash": "sha256-BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=",
        "owner": "NixOS",
        "repo": "nixpkgs",
        "rev": "0000000000000000000000000000000000000002",
        "type": "github"
      },
      "original": { "owner": "NixOS", "ref": "nixos-25.05", "repo": "nixpkgs", "type": "github" }
    },
    "root": { "inputs": { "home-manager": "home-manager", "nixpkgs": "nixpkgs" } }
  },
  "root": "root",
  "version": 7
}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=4000)
    parser.add_argument("--hosts", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--git", action="store_true", help="make it a git repository with everything committed")
    args = parser.parse_args()
    count = generate(args.out, args.files, args.hosts, args.seed)
    if args.git:
        env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@b"}
        subprocess.run(["git", "init", "-q", "-b", "main", str(args.out)], check=True)
        subprocess.run(["git", "-C", str(args.out), "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(args.out), "commit", "-q", "-m", "generated"], check=True, env=env)
    print(f"{count} .nix files in {args.out}")


if __name__ == "__main__":
    main()
