leaks --from start --by type -
