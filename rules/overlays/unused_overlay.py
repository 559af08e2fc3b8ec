from __future__ import annotations

from flakelint.diagnostic import Severity
from flakelint.overlays import applies_overlays, overlay_references
from flakelint.rule import Option, RepoRule

from . import file_overlays, overlay_layout, summarize_overlays

#: Frameworks that apply overlays by convention (snowfall-lib applies every
#: file under overlays/): nothing flakelint can see says where.
CONVENTION_MARKERS = (b"snowfall", b"easyOverlay", b"overlayAttrs")
CONFIGURATION_OUTPUTS = ("nixosConfigurations", "homeConfigurations", "darwinConfigurations")


class UnusedOverlay(RepoRule):
    """An overlay the repository defines but never applies.

    ## What it does
    Reports a flake output `overlays.<name>` (or the deprecated `overlay`)
    that nothing in the repository refers to (`self.overlays.<name>`,
    `inputs.self.overlays.<name>`, `outputs.overlays.<name>`), and an overlay
    file in an `overlays` directory that no file of the flake reaches at all.
    Only when the repository applies overlays somewhere flakelint can see
    (a `nixpkgs.overlays` setting or `import nixpkgs { overlays = …; }`):
    a repository that applies none is not using overlays for itself.
    A use of the overlays as a whole (`attrValues self.overlays`,
    `inherit (self) overlays`, `self.overlays.${name}`) counts as using
    every one of them, and a repository built with snowfall-lib or
    flake-parts' `easyOverlay` (which apply overlays by convention) is not
    checked.

    ## Why is this bad?
    An overlay written for the repository's own machines but never applied
    does nothing: the patched or added package silently is not there, and
    the configuration uses the unpatched one.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { self, nixpkgs, ... }: {
        overlays.default = final: prev: {
          htop = prev.htop.overrideAttrs (old: { patches = [ ./htop.patch ]; });
        };
        nixosConfigurations.box = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          modules = [ ./configuration.nix ];
        };
      };
    }
    # file: configuration.nix
    { ... }:
    {
      nixpkgs.overlays = [ (final: prev: { }) ];
    }
    # file: htop.patch
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { self, nixpkgs, ... }: {
        overlays.default = final: prev: {
          htop = prev.htop.overrideAttrs (old: { patches = [ ./htop.patch ]; });
        };
        nixosConfigurations.box = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          specialArgs = { inherit self; };
          modules = [ ./configuration.nix ];
        };
      };
    }
    # file: configuration.nix
    { self, ... }:
    {
      nixpkgs.overlays = [ self.overlays.default ];
    }
    # file: htop.patch
    ```

    ## Options
    - `exported-overlays-are-used` (bool or unset): treat every
      `overlays.<name>` output as used, because the flake exists to export
      them to other flakes. Unset (the default) means: true when the flake
      has no `nixosConfigurations`/`homeConfigurations`/`darwinConfigurations`.
    """

    code = "FL404"
    shared = (overlay_layout,)  # run with the rules that share it (Rule.shared)
    name = "unused-overlay"
    severity = Severity.WARNING
    options = {
        "exported-overlays-are-used": Option(
            (bool, type(None)),
            None,
            "treat overlays.<name> outputs as used (default: when the flake defines no configurations)",
        ),
    }

    def summarize(self, source):
        """What one file says about overlays, computed where the file was parsed (a worker): no tree in the check.

        (applies overlays, names used as ``….overlays.<name>``, uses them as a
        whole, (overlay outputs, overlay file)): the outputs and the file's
        own overlay as (start, end, output name or None) in overlay order.
        None for a file that says nothing about overlays.
        """
        if file_overlays(source) is None:
            return None  # no `overlay` in the bytes (remembered: FL401-FL403 looked already)
        applies = b"overlays" in source.data and not source.has_error and applies_overlays(source)
        used, whole = overlay_references(source)
        overlays = summarize_overlays(source, _candidate)
        if not applies and not used and not whole and overlays is None:
            return None
        return applies, tuple(sorted(used)), whole, overlays

    def check(self, repo):
        flake = repo.sources.get("flake.nix")
        if flake is None or flake.has_error:
            return
        if any(marker in flake.data for marker in CONVENTION_MARKERS):
            return
        graph = repo.graph
        if graph.autowired or graph.incomplete:
            return
        paths, excluded = overlay_layout(repo)
        summaries = [(path, summary) for path in paths if (summary := repo.summary(self, path))]
        if not any(applies for _, (applies, _, _, _) in summaries):
            return
        exported = self.settings.get("exported-overlays-are-used")
        if exported is None:
            model = graph.model
            has_configurations = model is not None and (
                any(c.kind in ("nixos", "home-manager", "darwin") for c in model.configurations)
                or any(name in CONFIGURATION_OUTPUTS for name in model.outputs)
            )
            exported = not has_configurations
        names: set[str] | None = set()
        for _, (_, used, whole, _) in summaries:
            if whole:
                names = None
                break
            names.update(used)
        for path, (_, _, _, overlays) in summaries:
            if overlays is None:
                continue
            outputs, as_file = overlays
            source = repo.sources[path]
            for start, end, name in outputs + (as_file if path not in excluded else ()):
                if name is not None and not exported and names is not None and name not in names:
                    if name == "overlay" and "overlay" in names:
                        continue
                    yield self.diagnostic(
                        source,
                        start=start,
                        end=end,
                        message=f"overlay output `{'overlays.' + name if name != 'overlay' else 'overlay'}` is never applied: "
                        "no `nixpkgs.overlays` or `import nixpkgs { overlays }` in this repository refers to it",
                        hint="add it to `nixpkgs.overlays` (e.g. `self.overlays."
                        + (name if name != "overlay" else "default")
                        + "`), or set `exported-overlays-are-used = true` if it is only for other flakes",
                    )
                elif name is None and path not in graph.nodes:
                    yield self.diagnostic(
                        source,
                        start=start,
                        end=end,
                        message="this overlay file is never applied: no file of the flake imports it",
                        hint="import it into `nixpkgs.overlays` (or an `overlays.<name>` output that is applied)",
                    )


def _candidate(expression, shape, site) -> tuple:
    """An overlay FL404 may report: an output (with its name), or a file's value that is one overlay (name None)."""
    if site.where == "output":
        return ((expression.start_byte, expression.end_byte, site.name),)
    if site.where == "file" and site.node == expression and shape.kind == "overlay":
        return ((expression.start_byte, expression.end_byte, None),)
    return ()
