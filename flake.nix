{
  description = "flakelint: a linter and static analyzer for Nix flake repositories";

  # No flake.lock is committed yet: the first `nix flake lock` (or any `nix`
  # command on this flake) creates it. flakelint.toml says why FL101 is off.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      # flakelint for one package set; tree-sitter-nix 0.1.0 (the grammar
      # flakelint is tested with) is built from its PyPI sdist.
      build =
        pkgs:
        pkgs.python3Packages.callPackage ./nix/package.nix {
          tree-sitter-nix = pkgs.python3Packages.callPackage ./nix/tree-sitter-nix.nix { };
        };
    in
    {
      overlays.default = final: _prev: { flakelint = build final; };

      packages = forAllSystems (
        pkgs:
        let
          flakelint = build pkgs;
        in
        {
          inherit flakelint;
          default = flakelint;
        }
      );

      apps = forAllSystems (pkgs: {
        default = {
          type = "app";
          program = lib.getExe self.packages.${pkgs.stdenv.hostPlatform.system}.flakelint;
          meta.description = "Lint a Nix flake repository";
        };
      });

      checks = forAllSystems (
        pkgs:
        let
          flakelint = self.packages.${pkgs.stdenv.hostPlatform.system}.flakelint;
        in
        {
          package = flakelint;
          # The bundled example flake is clean. Nix builds set SOURCE_DATE_EPOCH
          # to a fixed date, which flakelint takes as "now", so the age checks
          # give the same answer on every build.
          examples = pkgs.runCommand "flakelint-examples" { nativeBuildInputs = [ flakelint ]; } ''
            flakelint --output-format concise ${./examples/seed}
            touch "$out"
          '';
        }
      );

      devShells = forAllSystems (pkgs: {
        # Python 3.11+, git, Nix's parser (the reference for the syntax tests),
        # Graphviz, pre-commit, actionlint and shellcheck; then, as in README.md:
        #   python3 -m venv .venv && .venv/bin/pip install -e '.[test]'
        default = pkgs.mkShell {
          packages = [
            pkgs.python3
            pkgs.git
            pkgs.nix
            pkgs.graphviz
            pkgs.pre-commit
            pkgs.actionlint
            pkgs.shellcheck
          ];
        };
      });
    };
}
