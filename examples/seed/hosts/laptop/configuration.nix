{ inputs, ... }:
{
  imports = [
    ./hardware-configuration.nix
    ../../modules/desktop/gnome.nix
    ../../modules/users/alice.nix
    ../../modules/programs/git.nix
    ../../modules/hardware/bluetooth.nix
    inputs.home-manager.nixosModules.home-manager
  ];

  networking.hostName = "laptop";
  boot.loader.systemd-boot.enable = true;

  home-manager = {
    useGlobalPkgs = true;
    useUserPackages = true;
    users.alice = ../../home/alice/home.nix;
  };

  system.stateVersion = "25.05";
}
