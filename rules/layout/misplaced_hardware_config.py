from flakelint.diagnostic import Severity
from flakelint.rule import RepoRule
from flakelint.wiring import host_closures, layout_of, reachability


class MisplacedHardwareConfig(RepoRule):
    """A `hardware-configuration.nix` that is not one host's own file.

    ## What it does
    `nixos-generate-config` writes a `hardware-configuration.nix` for one
    machine: its disks, kernel modules, CPU. The rule reports one that

    - lies outside a host directory (`hosts/<host>/` in the seed layout,
      `nixos/` for starter configs, `systems/<arch>/<host>/` for
      snowfall-lib);
    - is used by more than one NixOS configuration (counted over the
      configurations flakelint fully knows, so the count is never too
      high); or
    - is imported by absolute path (`/etc/nixos/hardware-configuration.nix`),
      which also makes the flake impure: it fails in pure evaluation and
      builds another machine's hardware on every other machine.

    ## Why is this bad?
    Hardware configuration is the one part of a NixOS configuration that
    must not be shared: a second machine importing it gets the first
    machine's file systems and boot devices, and fails to boot. Outside the
    host directory nobody can tell which machine it describes.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          modules = [ ./hosts/laptop/configuration.nix ];
        };
      };
    }
    # file: hosts/laptop/configuration.nix
    { ... }: {
      imports = [ /etc/nixos/hardware-configuration.nix ../../modules/services/ssh.nix ];
    }
    # file: modules/services/ssh.nix
    { ... }: { services.openssh.enable = true; }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          modules = [ ./hosts/laptop/configuration.nix ];
        };
      };
    }
    # file: hosts/laptop/configuration.nix
    { ... }: {
      imports = [ ./hardware-configuration.nix ../../modules/services/ssh.nix ];
    }
    # file: hosts/laptop/hardware-configuration.nix
    { ... }: { fileSystems."/".device = "/dev/disk/by-label/nixos"; }
    # file: modules/services/ssh.nix
    { ... }: { services.openssh.enable = true; }
    ```
    """

    code = "FL309"
    # Run with the rules that share them (Rule.shared); host_closures builds reachability.
    shared = (host_closures, reachability)
    name = "misplaced-hardware-config"
    severity = Severity.WARNING

    def check(self, repo):
        layout = layout_of(repo)
        if layout is None:
            return
        name = layout.hardware_file
        reported: set[str] = set()
        for path in sorted(repo.files):
            if path.rsplit("/", 1)[-1] != name:
                continue
            if layout.host_of(path) is None:
                reported.add(path)
                yield self.at(
                    path,
                    f"`{path}` is not in a host directory (`{layout.full(layout.host_dir)}/`): nobody can tell which machine it describes",
                    hint=f"move it into the directory of the host it was generated on and import it from that host only",
                )
        for path in sorted(repo.graph.refs):
            for ref in repo.graph.refs[path]:
                if ref.kind == "absolute" and ref.target.rsplit("/", 1)[-1] == name and ref.usage not in ("doc", "guard"):
                    yield self.at_ref(
                        repo,
                        ref,
                        f"`{ref.written}` is imported by absolute path: impure (fails in pure flake evaluation) and "
                        "another machine's hardware wherever the flake is built",
                        hint=f"copy the file into the host's directory and import `./{name}`",
                    )
        users: dict[str, list[str]] = {}
        hardware = {path for path in repo.files if path.rsplit("/", 1)[-1] == name}
        for configuration, closure in host_closures(repo, kinds=("nixos",)):
            for file in [path for path in hardware if closure.holds(path)]:  # closure.files & hardware
                users.setdefault(file, {})[(configuration.file, configuration.start)] = configuration.name
        for path, systems in sorted(users.items()):
            hosts = list(systems.values())  # one system bound to several names counts once
            if len(set(hosts)) > 1 and path not in reported:
                shown = ", ".join(f"`{h}`" for h in sorted(set(hosts)))
                yield self.at(
                    path,
                    f"`{path}` is used by {len(set(hosts))} hosts ({shown}): each machine needs its own hardware configuration",
                    hint="generate one per machine (`nixos-generate-config --show-hardware-config`) in each host's directory",
                )
