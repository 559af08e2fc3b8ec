{ pkgs, ... }:
{
  programs.fish = {
    enable = true;
    shellAliases.ll = "ls -l";
  };
  home.packages = [ pkgs.ripgrep ];
}
