final: prev: {
  hello-alice = final.callPackage ../pkgs/hello { };
}
