{
  description = "Alice's machines: a laptop and a home server, with home-manager";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    home-manager = {
      url = "github:nix-community/home-manager";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs =
    {
      self,
      nixpkgs,
      home-manager,
      ...
    }@inputs:
    let
      system = "x86_64-linux";
      mkHost =
        name:
        nixpkgs.lib.nixosSystem {
          inherit system;
          specialArgs = { inherit inputs; };
          modules = [
            ./hosts/${name}/configuration.nix
            { nixpkgs.overlays = [ self.overlays.default ]; }
          ];
        };
    in
    {
      overlays.default = import ./overlays;

      nixosConfigurations = {
        laptop = mkHost "laptop";
        server = mkHost "server";
      };

      homeConfigurations."alice@laptop" = home-manager.lib.homeManagerConfiguration {
        pkgs = nixpkgs.legacyPackages.${system};
        modules = [ ./home/alice/home.nix ];
      };

      packages.${system}.hello-alice = nixpkgs.legacyPackages.${system}.callPackage ./pkgs/hello { };
    };
}
