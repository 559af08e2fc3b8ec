"""The flake outputs model: configurations and module lists from flake.nix, without Nix."""

from __future__ import annotations

import time

import flakelint


def model_of(repo_factory, files):
    repo = flakelint.load_repo(str(repo_factory(files)))
    return repo.graph.model


def modules(model, kind, name):
    configuration = model.configuration(kind, name)
    assert configuration is not None, [(c.kind, c.name) for c in model.configurations]
    return [(m.kind, m.target or m.detail) for m in configuration.modules]


HOST = "{ ... }: { }"


def test_helper_function_applied_to_literal_names(repo_factory):
    model = model_of(
        repo_factory,
        {
            "flake.nix": """{
              inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
              outputs = { self, nixpkgs, ... }@inputs:
                let
                  common = [ ./modules/common.nix ];
                  mkHost = name: extra: nixpkgs.lib.nixosSystem {
                    specialArgs = { inherit inputs; };
                    modules = common ++ [ ./hosts/${name}/configuration.nix ] ++ extra;
                  };
                in {
                  nixosConfigurations = {
                    laptop = mkHost "laptop" [ ];
                    server = mkHost "server" [ { services.openssh.enable = true; } ];
                  };
                };
            }""",
            "modules/common.nix": HOST,
            "hosts/laptop/configuration.nix": HOST,
            "hosts/server/configuration.nix": HOST,
        },
    )
    assert modules(model, "nixos", "laptop") == [("path", "modules/common.nix"), ("path", "hosts/laptop/configuration.nix")]
    assert modules(model, "nixos", "server")[-1] == ("inline", "")
    assert model.configuration("nixos", "laptop").special_args == ["inputs"]
    assert model.configuration("nixos", "laptop").complete


def test_genattrs_over_readdir_and_trailing_commas(repo_factory):
    model = model_of(
        repo_factory,
        {
            "flake.nix": """{
              inputs = { nixpkgs.url = "github:NixOS/nixpkgs"; };
              outputs =
                {
                  nixpkgs,
                  ...
                }:
                {
                  nixosConfigurations = nixpkgs.lib.genAttrs (builtins.attrNames (builtins.readDir ./hosts)) (
                    host:
                    nixpkgs.lib.nixosSystem {
                      modules = [ (./hosts + "/${host}") ];
                    }
                  );
                };
            }""",
            "hosts/a/default.nix": HOST,
            "hosts/b/default.nix": HOST,
        },
    )
    assert [c.name for c in model.configurations] == ["a", "b"]
    assert modules(model, "nixos", "b") == [("path", "hosts/b")]


def test_list_to_attrs_map_and_imported_host_set(repo_factory):
    model = model_of(
        repo_factory,
        {
            "flake.nix": """{
              inputs.nixpkgs.url = "github:NixOS/nixpkgs";
              inputs.home-manager.url = "github:nix-community/home-manager";
              outputs = inputs@{ nixpkgs, home-manager, ... }: {
                nixosConfigurations = import ./hosts { inherit inputs; };
                homeConfigurations = builtins.listToAttrs (map (user: {
                  name = "${user}@laptop";
                  value = home-manager.lib.homeManagerConfiguration {
                    pkgs = nixpkgs.legacyPackages.x86_64-linux;
                    modules = [ ./home/${user}.nix ];
                  };
                }) [ "alice" "bob" ]);
              };
            }""",
            "hosts/default.nix": """{ inputs }:
            {
              box = inputs.nixpkgs.lib.nixosSystem { modules = [ ./box.nix inputs.home-manager.nixosModules.home-manager ]; };
            }""",
            "hosts/box.nix": HOST,
            "home/alice.nix": HOST,
            "home/bob.nix": HOST,
        },
    )
    assert modules(model, "nixos", "box") == [("path", "hosts/box.nix"), ("external", "inputs.home-manager.nixosModules.home-manager")]
    assert modules(model, "home-manager", "bob@laptop") == [("path", "home/bob.nix")]


def test_unknown_is_recorded_never_guessed(repo_factory):
    model = model_of(
        repo_factory,
        {
            "flake.nix": """{
              inputs.flake-utils.url = "github:numtide/flake-utils";
              outputs = inputs: inputs.flake-utils.lib.eachDefaultSystem (system: { });
            }""",
        },
    )
    assert model.configurations == []
    assert model.unknown and "inputs.flake-utils" in model.unknown[0]


def test_flake_parts_modules_and_their_imports(repo_factory):
    model = model_of(
        repo_factory,
        {
            "flake.nix": """{
              inputs.flake-parts.url = "github:hercules-ci/flake-parts";
              inputs.nixpkgs.url = "github:NixOS/nixpkgs";
              outputs = inputs@{ flake-parts, ... }:
                flake-parts.lib.mkFlake { inherit inputs; } {
                  systems = [ "x86_64-linux" ];
                  imports = [ ./parts inputs.treefmt-nix.flakeModule ];
                };
            }""",
            "parts/default.nix": "{ imports = [ ./hosts.nix ]; perSystem = { pkgs, ... }: { }; }",
            "parts/hosts.nix": """{ inputs, self, ... }: {
              flake.nixosConfigurations.box = inputs.nixpkgs.lib.nixosSystem {
                modules = [ ../hosts/box.nix self.nixosModules.default ];
              };
              flake.nixosModules.default = ../modules/default.nix;
            }""",
            "hosts/box.nix": HOST,
            "modules/default.nix": HOST,
        },
    )
    assert modules(model, "nixos", "box") == [("path", "hosts/box.nix"), ("path", "modules/default.nix")]


def test_partially_known_module_lists_are_incomplete(repo_factory):
    model = model_of(
        repo_factory,
        {
            "flake.nix": """{
              inputs.nixpkgs.url = "github:NixOS/nixpkgs";
              outputs = { nixpkgs, ... }: {
                nixosConfigurations.x = nixpkgs.lib.nixosSystem {
                  modules = [ ./x.nix ] ++ nixpkgs.lib.attrValues (import ./extra.nix);
                };
              };
            }""",
            "x.nix": HOST,
            "extra.nix": "{ a = ./x.nix; }",
        },
    )
    entries = modules(model, "nixos", "x")
    assert entries[0] == ("path", "x.nix")
    configuration = model.configuration("nixos", "x")
    assert configuration.complete == all(kind != "unknown" for kind, _ in entries)


def test_hostile_recursion_stays_bounded(repo_factory):
    start = time.monotonic()
    model = model_of(
        repo_factory,
        {
            "flake.nix": """{
              outputs = { ... }:
                let
                  loop = n: loop (n + 1);
                  fork = n: [ (fork n) (fork n) ];
                  self-ref = rec { a = b; b = a; };
                in {
                  nixosConfigurations.a = loop 0;
                  nixosConfigurations.b = fork 0;
                  nixosConfigurations.c = self-ref.a;
                };
            }""",
        },
    )
    assert time.monotonic() - start < 20
    assert all(not c.complete for c in model.configurations) or model.unknown


def test_pipe_filter_foldl_and_mapattrs_prime(repo_factory):
    model = model_of(
        repo_factory,
        {
            "flake.nix": """{
              inputs.nixpkgs.url = "github:NixOS/nixpkgs";
              outputs = { nixpkgs, ... }: let
                lib = nixpkgs.lib;
                mk = h: lib.nixosSystem { modules = [ ./hosts/${h}.nix ]; };
              in {
                nixosConfigurations = lib.pipe [ "a" "b" "c" ] [
                  (builtins.filter (h: h != "c"))
                  (map (h: lib.nameValuePair h (mk h)))
                  builtins.listToAttrs
                ] // lib.mapAttrs' (n: v: lib.nameValuePair "x-${n}" (mk n)) { c = 1; }
                  // builtins.foldl' (acc: h: acc // { "f-${h}" = mk h; }) { } [ "a" ];
              };
            }""",
            "hosts/a.nix": HOST,
            "hosts/b.nix": HOST,
            "hosts/c.nix": HOST,
        },
    )
    assert sorted(c.name for c in model.configurations) == ["a", "b", "f-a", "x-c"]
    assert modules(model, "nixos", "x-c") == [("path", "hosts/c.nix")]
