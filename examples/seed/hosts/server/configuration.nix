{ ... }:
{
  imports = [
    ./hardware-configuration.nix
    ../../modules/services/jellyfin.nix
    ../../modules/users/alice.nix
  ];

  networking.hostName = "server";
  boot.loader.grub.device = "/dev/sda";

  system.stateVersion = "24.11";
}
