{ config, lib, ... }:
let
  cfg = config.services.jellyfin;
in
{
  services.jellyfin.enable = true;
  networking.firewall.allowedTCPPorts = lib.mkIf cfg.enable [ 8096 ];
}
